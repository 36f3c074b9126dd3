package command

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// Stripped Go binaries as distributions ship them: no DWARF, no symbol
// table. stap finds no function in them by itself; stapgen's generated
// debug file names every entry, body and RET.

// sampleFuncs picks up to n function names of bin spread over its list,
// methods among them, as `stapgen list` gives them.
func sampleFuncs(t *testing.T, bin string, n int, patterns ...string) []string {
	out, errs, code := stapgen(t, append([]string{"list", bin}, patterns...)...)
	if code != 0 {
		t.Fatalf("list: exit %d\n%s", code, errs)
	}
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		// Generic instantiations' names hold blanks, which the columns
		// cannot tell from the separator: they are left out.
		if f := strings.Fields(l); len(f) > 0 && !strings.Contains(f[0], "[") {
			names = append(names, f[0])
		}
	}
	if len(names) <= n {
		return names
	}
	var pick []string
	for i := 0; i < n; i++ {
		pick = append(pick, names[i*len(names)/n])
	}
	return pick
}

// stapAccepts runs stap on script with the environment its header names.
func stapAccepts(t *testing.T, stap string, script string, args ...string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "s.stp")
	os.WriteFile(f, []byte(script), 0o644)
	cmd := exec.Command(stap, append(args, f)...)
	for _, l := range strings.Split(script, "\n") {
		if env, ok := strings.CutPrefix(l, "# stapgen-stap-env: [\""); ok {
			cmd.Env = append(os.Environ(), strings.TrimSuffix(env, "\"]"))
		}
	}
	cmd.Dir = filepath.Dir(f)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(stap), args, err, out)
	}
}

// TestStrippedScriptsPassStap: entry and return scripts for sampled
// functions (methods included) of Debian's runc and containerd and of a
// stripped fixture are accepted by stap 5.1 (-p4, a module for the lab
// kernel) and by the host's stap 4.8 (-p2).
func TestStrippedScriptsPassStap(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	stap51 := labStap(t, lab.Trixie)
	bins := map[string]string{
		"runc":       testenv.Corpus(t, "runc", "usr/sbin/runc"),
		"containerd": testenv.Corpus(t, "containerd", "usr/bin/containerd"),
		"fixture":    testenv.GoFixture(t, testenv.Strip(testenv.GoPIE)),
	}
	for name, bin := range bins {
		t.Run(name, func(t *testing.T) {
			fns := append(sampleFuncs(t, bin, 12, "*"), sampleFuncs(t, bin, 8, "*.(**).*")...)
			src, errs, code := stapgen(t, append([]string{"gen", "--stap-version", "5.1", "--return", bin}, fns...)...)
			if code != 0 {
				t.Fatalf("gen %v: exit %d\n%s", fns, code, errs)
			}
			if strings.Contains(src, ".statement(") || strings.Contains(src, "-g") && strings.Contains(src, "stapgen-stap-args: [\"-g\"") {
				t.Errorf("a stripped binary's script uses address probes or guru mode:\n%s", src)
			}
			stapAccepts(t, stap51, src, "-r", lab.Release(), "-p4")
			stapAccepts(t, host, src, "-p2")
		})
	}
}

// TestStrippedGoInVM: the stripped fixture traced for real: one entry per
// call and one return per return the program printed, entry and return on
// the same goroutine.
func TestStrippedGoInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.GoFixture(t, testenv.Strip(testenv.GoPIE))
	out, errs, code := stapgen(t, "run", "--stap", vm, "--stap-version", "5.1", "-c", bin, "--format", "json", "--return", bin, "main.Str", "main.Many")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	n := map[string]int{}
	goids := map[string][]string{}
	for _, e := range exactEvents(t, out) {
		k := fmt.Sprint(e["probe"], "/", e["site"])
		n[k]++
		goids[k] = append(goids[k], fmt.Sprint(e["goid"]))
	}
	calls, rets := said(t, errs, "CALL"), said(t, errs, "RET")
	for _, fn := range []string{"main.Str", "main.Many"} {
		if n[fn+"/entry"] != len(calls[fn]) || n[fn+"/return"] != len(rets[fn]) || len(calls[fn]) == 0 {
			t.Errorf("%s: %d entries for %d calls, %d returns for %d\n%s", fn, n[fn+"/entry"], len(calls[fn]), n[fn+"/return"], len(rets[fn]), out)
		}
		if e, r := goids[fn+"/entry"], goids[fn+"/return"]; fmt.Sprint(e) != fmt.Sprint(r) || len(e) > 0 && (e[0] == "-1" || e[0] == "<nil>") {
			t.Errorf("%s: entry goroutines %v, return goroutines %v", fn, e, r)
		}
	}
}
