package symfile

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/gopclntab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// stripped returns a strip(1)ped copy of the Go fixture variant v, beside
// it under the fixture root (the lab's chroot sees that path), and the
// unstripped original: a twin with the same addresses by construction.
func stripped(t testing.TB, v testenv.GoVariant) (bin, twin string) {
	t.Helper()
	twin = testenv.GoFixture(t, v)
	bin = twin + ".stripped"
	if _, err := os.Stat(bin); err == nil {
		return bin, twin
	}
	strip := testenv.NeedTool(t, "strip")
	tmp := fmt.Sprintf("%s.tmp%d", bin, os.Getpid())
	if out, err := exec.Command(strip, "-o", tmp, twin).CombinedOutput(); err != nil {
		t.Fatalf("strip %s: %v\n%s", twin, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	return bin, twin
}

// corpus returns rel from the Debian package pkg as lab/corpus.sh unpacks
// it ($STAPGEN_LAB/corpus/PKG/REL); STAPGEN_CORPUS overrides the root.
func corpus(t testing.TB, pkg, rel string) string {
	t.Helper()
	root := os.Getenv("STAPGEN_CORPUS")
	if root == "" {
		root = filepath.Join(testenv.LabDir(), "corpus")
	}
	p := filepath.Join(root, pkg, rel)
	_, err := os.Stat(p)
	testenv.Need(t, err == nil, "corpus file %s missing (run lab/corpus.sh)", p)
	return p
}

// funcTable is the binary's function table from its pclntab (not the code
// under test) in this package's terms.
func funcTable(t testing.TB, bin string) []Func {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := gopclntab.Read(f)
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	fs := make([]Func, len(tab.Funcs))
	for i, fn := range tab.Funcs {
		fs[i] = Func{fn.Name, fn.Entry, fn.End}
	}
	return fs
}

// readelfBuildID is binutils' reading of the GNU build-id, "" if none.
func readelfBuildID(t testing.TB, path string) string {
	t.Helper()
	out, err := exec.Command(testenv.NeedTool(t, "readelf"), "-n", path).Output()
	if err != nil {
		t.Fatalf("readelf -n %s: %v", path, err)
	}
	if m := regexp.MustCompile(`Build ID: ([0-9a-f]+)`).FindSubmatch(out); m != nil {
		return string(m[1])
	}
	return ""
}

var retLine = regexp.MustCompile(`^\s*([0-9a-f]+):\s+ret`)

// objdumpRets are the RET instructions in [lo, hi) according to objdump,
// which needs no symbols for an address range.
func objdumpRets(t testing.TB, bin string, lo, hi uint64) []uint64 {
	t.Helper()
	out, err := exec.Command(testenv.NeedTool(t, "objdump"), "-d", "--no-show-raw-insn",
		fmt.Sprintf("--start-address=0x%x", lo), fmt.Sprintf("--stop-address=0x%x", hi), bin).Output()
	if err != nil {
		t.Fatalf("objdump %s: %v", bin, err)
	}
	var rets []uint64
	for _, l := range strings.Split(string(out), "\n") {
		if m := retLine.FindStringSubmatch(l); m != nil {
			a, _ := strconv.ParseUint(m[1], 16, 64)
			rets = append(rets, a)
		}
	}
	return rets
}

var insnLine = regexp.MustCompile(`^\s*([0-9a-f]+):\s+(\S+)`)

// objdumpBody is the address after a Go function's stack check (the
// instruction after its first jbe, within the first few), or its entry
// when it has none: the body runs once per call, while the entry runs
// again after morestack grows the stack.
func objdumpBody(t testing.TB, bin string, lo, hi uint64) uint64 {
	t.Helper()
	out, err := exec.Command(testenv.NeedTool(t, "objdump"), "-d", "--no-show-raw-insn",
		fmt.Sprintf("--start-address=0x%x", lo), fmt.Sprintf("--stop-address=0x%x", hi), bin).Output()
	if err != nil {
		t.Fatalf("objdump %s: %v", bin, err)
	}
	n, after := 0, false
	for _, l := range strings.Split(string(out), "\n") {
		m := insnLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		a, _ := strconv.ParseUint(m[1], 16, 64)
		if after {
			return a
		}
		if n++; n > 4 {
			break
		}
		after = m[2] == "jbe" || m[2] == "jna"
	}
	return lo
}

// loadBase is the first PT_LOAD's page, the base stap's "pc=.absolute+OFF"
// offsets count from.
func loadBase(t testing.TB, bin string) uint64 {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			return p.Vaddr &^ (p.Align - 1)
		}
	}
	t.Fatalf("%s has no PT_LOAD", bin)
	return 0
}
