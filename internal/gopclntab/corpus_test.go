package gopclntab

import (
	"bufio"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// corpus is Debian bookworm's Go daemons (lab/corpus.sh): Go 1.19.8, PIE,
// externally linked, stripped; dockerd's table has no section of its own.
var corpus = []struct {
	pkg, path string
	want      []string
}{
	{"docker.io", "usr/sbin/dockerd", []string{"syscall.Mount", "golang.org/x/sys/unix.Mount", "main.main"}},
	{"containerd", "usr/bin/containerd", []string{"golang.org/x/sys/unix.Mount", "main.main"}},
	{"runc", "usr/sbin/runc", []string{"golang.org/x/sys/unix.Mount", "main.main"}},
}

const go119Src = "/usr/lib/go-1.19/src"

// TestCorpus checks the tables of real Debian binaries against what does
// not come from the reader: the standard library's source that Debian's
// golang-1.19-src installs (each function's entry line declares it), the
// code bytes (Go aligns functions to 32 bytes and pads with INT3),
// objdump's disassembly (each entry starts an instruction), and the goid
// offset in the DWARF of a program built by the same Go 1.19.
func TestCorpus(t *testing.T) {
	goCmd := testenv.Go119(t)
	for _, c := range corpus {
		t.Run(c.pkg, func(t *testing.T) {
			bin := testenv.Corpus(t, c.pkg, c.path)
			f, err := elf.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			tab, err := Read(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(tab.Funcs) < 10000 {
				t.Errorf("%d functions", len(tab.Funcs))
			}
			for _, name := range c.want {
				if len(tab.Lookup(name)) != 1 {
					t.Errorf("%s: %v", name, tab.Lookup(name))
				}
			}
			checkCodeBytes(t, f, tab)
			checkSourceLines(t, tab)
			if m := tab.Lookup("syscall.Mount"); len(m) == 1 && c.pkg == "docker.io" {
				if want := go119Src + "/syscall/syscall_linux.go"; m[0].File != want || m[0].Line != mountLine(t, want) {
					t.Errorf("syscall.Mount at %s:%d, declared at %s:%d", m[0].File, m[0].Line, want, mountLine(t, want))
				}
			}
			for _, name := range c.want[:1] {
				checkObjdump(t, bin, tab, tab.Lookup(name)[0])
			}
			bi, err := buildinfo.ReadFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			if w := goVersionOf(t, goCmd); bi.GoVersion == w {
				want := dwarfGoid(t, testenv.GoFixtureWith(t, goCmd, testenv.GoDefault))
				if got, err := tab.GoidOffset(); err != nil || got != want {
					t.Errorf("goid offset %d (%v), %s DWARF %d", got, err, w, want)
				}
			} else {
				t.Errorf("%s built by %s, Debian's toolchain is %s: no twin for the goid offset", bin, bi.GoVersion, w)
			}
		})
	}
}

func goVersionOf(t *testing.T, goCmd string) string {
	b, err := exec.Command(goCmd, "env", "GOVERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func checkCodeBytes(t *testing.T, f *elf.File, tab *Table) {
	t.Helper()
	text := f.Section(".text")
	code, err := text.Data()
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, fn := range tab.Funcs {
		off := fn.Entry - text.Addr
		if fn.Entry < text.Addr || off >= uint64(len(code)) || fn.Entry%32 != 0 || code[off] == 0xcc {
			if bad++; bad <= 5 {
				t.Errorf("%s: entry %#x is not a 32-byte aligned start of code", fn.Name, fn.Entry)
			}
		}
	}
}

// checkSourceLines: a function's entry line in the Go 1.19 sources is in
// its body: the nearest declaration at or above it ("func Name(", "func (r
// *T) Name(", assembly's "TEXT ·Name(SB)") names it. (The entry line is the
// declaration for functions with a prologue, the first statement for
// leaves without one.)
func checkSourceLines(t *testing.T, tab *Table) {
	t.Helper()
	files := map[string][]string{}
	checked, bad := 0, 0
	for _, fn := range tab.Funcs {
		path := fn.File
		if !filepath.IsAbs(path) {
			path = filepath.Join(go119Src, path) // built with -trimpath
		}
		if !strings.HasPrefix(path, go119Src+"/") || strings.Contains(fn.Name, ".func") || strings.Contains(fn.Name, "[") {
			continue
		}
		lines, ok := files[path]
		if !ok {
			lines = readLines(path)
			files[path] = lines
		}
		if lines == nil {
			continue
		}
		checked++
		if !declaredAbove(lines, fn.Line, baseName(fn.Name)) {
			if bad++; bad <= 3 {
				t.Logf("%s at %s:%d", fn.Name, fn.File, fn.Line)
			}
		}
	}
	// Allow 10% for what the rule cannot know: an inlined callee's line at
	// the entry of a leaf, functions named by //go:linkname.
	t.Logf("%d of %d standard library functions: entry line not below their declaration", bad, checked)
	if checked < 1000 || bad*10 > checked {
		t.Errorf("%d of %d standard library functions not declared at their entry line", bad, checked)
	}
}

// baseName is the declared name of a function: "Load" for
// "runtime/internal/atomic.(*Int32).Load", "init" for "pkg.init.0".
func baseName(name string) string {
	name = name[strings.LastIndexByte(name, '/')+1:]
	parts := strings.Split(name, ".")
	if len(parts) > 2 && parts[len(parts)-2] == "init" {
		return "init"
	}
	return parts[len(parts)-1]
}

func declaredAbove(lines []string, line int, base string) bool {
	asmDecl := regexp.MustCompile(`^TEXT\s+(\S*·)?` + regexp.QuoteMeta(base) + `[(<]`)
	goDecl := regexp.MustCompile(`^func (\([^)]*\) )?` + regexp.QuoteMeta(base) + `[(\[]`)
	for i := min(line, len(lines)) - 1; i >= 0; i-- {
		switch l := lines[i]; {
		case strings.HasPrefix(l, "func "):
			return goDecl.MatchString(l)
		case strings.HasPrefix(l, "TEXT\t") || strings.HasPrefix(l, "TEXT "):
			return asmDecl.MatchString(l)
		}
	}
	return false
}

func mountLine(t *testing.T, path string) int {
	for i, l := range readLines(path) {
		if strings.HasPrefix(l, "func Mount(") {
			return i + 1
		}
	}
	t.Fatalf("%s declares no Mount", path)
	return 0
}

func readLines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		out = append(out, s.Text())
	}
	return out
}

// checkObjdump: objdump's linear disassembly around fn has an instruction
// starting at every entry the table gives there.
func checkObjdump(t *testing.T, bin string, tab *Table, fn Func) {
	t.Helper()
	testenv.NeedTool(t, "objdump")
	lo, hi := fn.Entry-4096, fn.End+4096
	out, err := exec.Command("objdump", "-d", "--no-show-raw-insn",
		fmt.Sprintf("--start-address=%#x", lo), fmt.Sprintf("--stop-address=%#x", hi), bin).Output()
	if err != nil {
		t.Fatalf("objdump: %v", err)
	}
	starts := map[uint64]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		var a uint64
		if _, err := fmt.Sscanf(strings.TrimSpace(l), "%x:", &a); err == nil {
			starts[a] = true
		}
	}
	n := 0
	for _, g := range tab.Funcs {
		if g.Entry >= lo+64 && g.Entry < hi-64 { // objdump needs a few bytes to fall into step
			n++
			if !starts[g.Entry] {
				t.Errorf("%s at %#x: objdump has no instruction there", g.Name, g.Entry)
			}
		}
	}
	if n < 3 {
		t.Errorf("only %d functions around %s", n, fn.Name)
	}
}
