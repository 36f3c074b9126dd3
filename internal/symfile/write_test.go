package symfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// nmFuncs is binutils' reading of a symbol table: name -> addresses.
func nmFuncs(t testing.TB, path string) map[string][]uint64 {
	t.Helper()
	out, err := exec.Command(testenv.NeedTool(t, "nm"), path).Output()
	if err != nil {
		t.Fatalf("nm %s: %v", path, err)
	}
	m := map[string][]uint64{}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.SplitN(l, " ", 3)
		if len(f) < 3 || (f[1] != "T" && f[1] != "t") {
			continue
		}
		a, err := strconv.ParseUint(f[0], 16, 64)
		if err == nil {
			m[f[2]] = append(m[f[2]], a)
		}
	}
	return m
}

// TestDebugFileMatchesTwin: the file written for the stripped fixture holds
// every function at the address its unstripped twin's own .symtab gives,
// and the binary's build-id, as binutils read them.
func TestDebugFileMatchesTwin(t *testing.T) {
	for _, v := range []testenv.GoVariant{testenv.GoDefault, testenv.GoPIE} {
		t.Run(string(v), func(t *testing.T) {
			bin, twin := stripped(t, v)
			id := readelfBuildID(t, bin)
			funcs := funcTable(t, bin)
			res, err := Write(Request{Binary: bin, BuildID: id, Funcs: funcs, CacheDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if got := readelfBuildID(t, res.File); got != id || id == "" {
				t.Fatalf("debug file build-id %q, binary's %q", got, id)
			}
			// pclntab names an ABI0 wrapper like its function (the twin's
			// .symtab says "runtime.write.abi0"), so a name may have several
			// addresses: the file must hold all of the table's, the twin's
			// among them.
			table := map[string][]uint64{}
			for _, fn := range funcs {
				table[fn.Name] = append(table[fn.Name], fn.Entry)
			}
			truth, got := nmFuncs(t, twin), nmFuncs(t, res.File)
			matched := 0
			for name, addrs := range table {
				if !sameSet(got[name], addrs) {
					t.Errorf("%s: table has %x, debug file %x", name, addrs, got[name])
				}
				want, ok := truth[name]
				if !ok {
					continue // a name the twin's .symtab spells otherwise
				}
				for _, a := range want {
					if !contains(addrs, a) {
						t.Errorf("%s: twin has it at 0x%x, debug file at %x", name, a, got[name])
					}
				}
				matched++
			}
			if matched < len(table)*9/10 {
				t.Errorf("only %d of %d names are in the twin's symbol table", matched, len(table))
			}
		})
	}
}

func contains(xs []uint64, x uint64) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func sameSet(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	return true
}

// TestWriteReuses: a second request for other sites keeps the first one's
// (a concurrent run may be using them), a request the file already serves
// leaves it alone, and a changed binary gets a new file.
func TestWriteReuses(t *testing.T) {
	dir, bin, b := strippedCopy(t)
	funcs := funcTable(t, bin)
	id := readelfBuildID(t, bin)
	req := func(sites ...uint64) *Result {
		t.Helper()
		r, err := Write(Request{Binary: bin, BuildID: id, Funcs: funcs, Sites: sites, CacheDir: filepath.Join(dir, "cache")})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, c := funcs[10].Entry+1, funcs[20].Entry+3
	req(a)
	r := req(c)
	syms := nmFuncs(t, r.File)
	for _, s := range []uint64{a, c} {
		if got := syms[alias(s)]; len(got) != 1 || got[0] != s {
			t.Errorf("after two requests %s is at %x", alias(s), got)
		}
	}
	st1, _ := os.Stat(r.File)
	req(a, c)
	st2, _ := os.Stat(r.File)
	if !os.SameFile(st1, st2) {
		t.Errorf("a request the file already served rewrote it")
	}
	os.WriteFile(bin, append(b, 0), 0o755) // same build-id, other bytes
	req(a)
	st3, _ := os.Stat(r.File)
	if os.SameFile(st2, st3) {
		t.Errorf("a changed binary kept the old debug file")
	}
	if got := nmFuncs(t, r.File)[alias(c)]; len(got) != 0 {
		t.Errorf("the stale file's site %s survived into the new one", alias(c))
	}
}

func TestWriteRefuses(t *testing.T) {
	_, twin := stripped(t, testenv.GoDefault)
	if _, err := Write(Request{Binary: twin, CacheDir: t.TempDir()}); !errors.Is(err, ErrHasDebugInfo) {
		t.Errorf("binary with DWARF and .symtab: err %v, want ErrHasDebugInfo", err)
	}
	if _, err := Write(Request{Binary: "gofix", CacheDir: t.TempDir()}); err == nil {
		t.Errorf("relative binary path accepted")
	}
}

func TestSearchPath(t *testing.T) {
	for _, tc := range []struct{ env, want string }{
		{"", DefaultDebuginfoPath + ":/c"},
		{"/usr/lib/debug", "/usr/lib/debug:/c"},
		{"-:/c:/x", "-:/c:/x"}, // already there
	} {
		if got := searchPath(tc.env, "/c"); got != tc.want {
			t.Errorf("searchPath(%q) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

// BenchmarkWriteContainerd is a cold write for Debian's containerd (51k
// functions, 40 MB): what a first gen/run on it pays.
func BenchmarkWriteContainerd(b *testing.B) {
	bin := corpus(b, "containerd", "usr/bin/containerd")
	funcs := funcTable(b, bin)
	id := readelfBuildID(b, bin)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Write(Request{Binary: bin, BuildID: id, Funcs: funcs, Sites: []uint64{funcs[100].Entry + 4}, CacheDir: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteContainerdWarm is the same request again: the file is
// reused after reading its stamp and aliases.
func BenchmarkWriteContainerdWarm(b *testing.B) {
	bin := corpus(b, "containerd", "usr/bin/containerd")
	funcs := funcTable(b, bin)
	id := readelfBuildID(b, bin)
	req := Request{Binary: bin, BuildID: id, Funcs: funcs, Sites: []uint64{funcs[100].Entry + 4}, CacheDir: b.TempDir()}
	if _, err := Write(req); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Write(req); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReuse: without the function table, Reuse serves a request whose
// sites the file written for this binary holds, with Write's file and
// environment, and sends back to Write one with a site it lacks, one
// for a changed binary, and one with no file.
func TestReuse(t *testing.T) {
	dir, bin, b := strippedCopy(t)
	funcs := funcTable(t, bin)
	id := readelfBuildID(t, bin)
	cache := filepath.Join(dir, "cache")
	a, c := funcs[10].Entry+1, funcs[20].Entry+3
	if _, ok := Reuse(Request{Binary: bin, BuildID: id, Sites: []uint64{a}, CacheDir: cache}); ok {
		t.Fatal("reused a file never written")
	}
	w, err := Write(Request{Binary: bin, BuildID: id, Funcs: funcs, Sites: []uint64{a}, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := Reuse(Request{Binary: bin, BuildID: id, Sites: []uint64{a}, CacheDir: cache})
	if !ok || r.File != w.File || r.Env != w.Env || r.Names != nil {
		t.Errorf("reuse %+v %v, write %+v", r, ok, w)
	}
	if _, ok := Reuse(Request{Binary: bin, BuildID: id, Sites: []uint64{a, c}, CacheDir: cache}); ok {
		t.Error("reused a file without a site asked for")
	}
	os.WriteFile(bin, append(b, 0), 0o755) // same build-id, other bytes
	if _, ok := Reuse(Request{Binary: bin, BuildID: id, Sites: []uint64{a}, CacheDir: cache}); ok {
		t.Error("reused the file of the binary before it changed")
	}
}

// strippedCopy copies the stripped fixture into dir, where a test may
// change it; b is its bytes.
func strippedCopy(t *testing.T) (dir, bin string, b []byte) {
	fix, _ := stripped(t, testenv.GoDefault)
	dir = t.TempDir()
	bin = filepath.Join(dir, "gofix")
	b, err := os.ReadFile(fix)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, bin, b
}
