package debuginfo

import (
	"bytes"
	"fmt"
	"os/exec"
	pathpkg "path"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// agreementModules are ten modules of the lab kernel, small to large, of
// networking and file systems.
var agreementModules = []string{
	"drivers/net/macvlan.ko", "drivers/net/veth.ko", "drivers/net/dummy.ko", "net/ipv4/tcp_bbr.ko",
	"drivers/block/loop.ko", "fs/overlayfs/overlay.ko", "fs/fuse/fuse.ko", "drivers/net/vxlan/vxlan.ko",
	"net/netfilter/nf_tables.ko", "fs/xfs/xfs.ko",
}

// TestModulesAgainstStap: what show prints for 200 functions of ten lab
// kernel modules (name, file:line, parameters and their types) agrees
// with stap -L 'module("PATH").function("NAME")', one stap call per
// module. stap lists the variables with a location at the entry,
// parameters first, then locals in scope (agreesWithStap).
func TestModulesAgainstStap(t *testing.T) {
	testenv.KernelRoot(t)
	stap, err := lab.Stap(lab.Trixie)
	testenv.Need(t, err == nil, "stap 5.1 of the lab: %v", err)
	const perModule = 25
	total := 0
	for _, rel := range agreementModules {
		path := testenv.ModuleDebugFile(t, rel)
		ix := openIndex(t, path)
		all, err := ix.Match("*")
		if err != nil {
			t.Fatal(err)
		}
		// Every k-th function with an out-of-line copy and a plain C
		// name (stap spells GCC's name.isra.0 clones its own way).
		var cands []*Function
		seen := map[string]bool{}
		for _, f := range all {
			if !f.NoTypes && !f.Inlined && !strings.Contains(f.Name, ".") && !seen[f.Name] {
				cands = append(cands, f)
				seen[f.Name] = true
			}
		}
		step := max(1, len(cands)/perModule)
		var picked []*Function
		for i := 0; i < len(cands) && len(picked) < perModule; i += step {
			picked = append(picked, cands[i])
		}
		var probes []string
		for _, f := range picked {
			probes = append(probes, fmt.Sprintf("module(%q).function(%q)", path, f.Name))
		}
		// One probe point with comma-separated alternatives: stap -L
		// lists only its first argument and takes the rest as script
		// arguments.
		cmd := exec.Command(stap, "-r", testenv.KernelRelease(), "-L", strings.Join(probes, ", "))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("stap -L on %s: %v\n%s", rel, err, stderr.Bytes())
		}
		byName := map[string][]stapFunc{}
		for _, s := range parseStapList(out) {
			byName[s.Name] = append(byName[s.Name], s)
		}
		for _, f := range picked {
			lines := byName[f.Name]
			if len(lines) == 0 {
				t.Errorf("%s %s: stap -L lists no such function", rel, f.Name)
				continue
			}
			ok := false
			for _, s := range lines {
				// stap keeps a "./" of the DWARF's file name
				// (fs/xfs/./xfs_trace.h); show prints it cleaned.
				if pathpkg.Clean(s.File) == f.File && s.Line == fmt.Sprint(f.Line) && agreesWithStap(t, ix, f, s.Vars) {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s %s@%s:%d: %s\nstap: %+v", rel, f.Name, f.File, f.Line, paramsString(f), lines)
			}
			total++
		}
		for name := range byName {
			if !seen[name] {
				t.Errorf("%s: stap lists %s, which show does not know", rel, name)
			}
		}
	}
	if total < 200 || total > 250 {
		t.Fatalf("%d functions compared, want 200 to 250", total)
	}
	t.Logf("%d functions of %d modules agree with stap -L", total, len(agreementModules))
}
