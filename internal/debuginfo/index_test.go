package debuginfo

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/goruntime"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

func openIndex(t testing.TB, path string) *Index {
	t.Helper()
	b, err := target.OpenWith(path, target.Options{DebugDirs: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	ix, err := OpenWith(b, Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func varsString(vs []stapVar) string {
	var s []string
	for _, v := range vs {
		s = append(s, "$"+v.Name+":"+v.Type)
	}
	return strings.Join(s, " ")
}

// TestGoAgainstStap compares every main.* function of each Go fixture
// build with `stap -L`. stap 4.8 lists a Go parameter only when its
// DW_AT_location is a location list (it cannot evaluate Go's block-form
// single expressions) and never lists results; it lists the hidden
// ".dict" of unoptimised generic code, which Params leave out on purpose.
func TestGoAgainstStap(t *testing.T) {
	testenv.NeedStap(t)
	tree := buildTree(t, "", "")
	bins := map[string]string{}
	for _, v := range []testenv.GoVariant{testenv.GoDefault, testenv.GoNoOpt, testenv.GoPIE, testenv.GoExternal} {
		bins[string(v)] = testenv.GoFixture(t, v)
	}
	bins["dwarf4"] = goDWARF4(t) // .debug_loc instead of .debug_loclists
	for v, bin := range bins {
		t.Run(v, func(t *testing.T) {
			stap := stapList(t, tree, fmt.Sprintf("process(%q).function(\"main.*\")", bin))
			ix := openIndex(t, bin)
			fns, err := ix.Match("main.*")
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]*Function{}
			for _, f := range fns {
				if byName[f.Name] != nil {
					t.Errorf("%s listed twice", f.Name)
				}
				byName[f.Name] = f
			}
			if len(byName) != len(stap) {
				t.Errorf("%d functions, stap lists %d", len(byName), len(stap))
			}
			for _, s := range stap {
				f := byName[s.Name]
				if f == nil {
					t.Errorf("%s: listed by stap, missing", s.Name)
					continue
				}
				if f.Lang != LangGo {
					t.Errorf("%s: lang %v", f.Name, f.Lang)
				}
				if f.File != s.File || fmt.Sprint(f.Line) != s.Line {
					t.Errorf("%s: at %s:%d, stap says %s:%s", f.Name, f.File, f.Line, s.File, s.Line)
				}
				var want, got []stapVar
				for _, sv := range s.Vars {
					if sv.Name != goruntime.DictParam {
						want = append(want, sv)
					}
				}
				for _, p := range f.Params {
					if p.LocList && stapListed(p) {
						got = append(got, stapVar{p.Name, p.Type.Name})
					}
				}
				if varsString(got) != varsString(want) {
					t.Errorf("%s:\n got %s\nstap %s", f.Name, varsString(got), varsString(want))
				}
			}
		})
	}
}

// goDWARF4 builds the Go fixture with GOEXPERIMENT=nodwarf5 (DWARF 4, as
// Go before 1.25 emitted).
func goDWARF4(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "gofix")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = filepath.Dir(testenv.GoSource("main.go"))
	cmd.Env = append(os.Environ(), "GOEXPERIMENT=nodwarf5", "GO111MODULE=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build DWARF 4 fixture: %v\n%s", err, b)
	}
	return out
}

// TestCAgainstStap: stap -L lists parameters then the locals in scope at
// entry, so our parameters must be a prefix of its list.
func TestCAgainstStap(t *testing.T) {
	testenv.NeedStap(t)
	tree := buildTree(t, "", "")
	for _, v := range []testenv.CVariant{testenv.CO0, testenv.CO2} {
		t.Run(string(v), func(t *testing.T) {
			bin := testenv.CFixture(t, v)
			stap := stapList(t, tree, fmt.Sprintf("process(%q).function(\"*\")", bin))
			ix := openIndex(t, bin)
			fns, err := ix.Match("*")
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]*Function{}
			for _, f := range fns {
				byName[f.Name] = f
			}
			checked := 0
			for _, s := range stap {
				f := byName[s.Name]
				if f == nil {
					t.Errorf("%s: listed by stap, missing", s.Name)
					continue
				}
				if s.File == "" {
					// CRT functions without DWARF (_start, _init, xmalloc.cold).
					if !f.NoTypes || len(f.Params) > 0 || f.Entry == 0 {
						t.Errorf("%s: symbol-only function %+v", s.Name, f)
					}
					continue
				}
				checked++
				if f.File != s.File || fmt.Sprint(f.Line) != s.Line {
					t.Errorf("%s: at %s:%d, stap says %s:%s", f.Name, f.File, f.Line, s.File, s.Line)
				}
				var got []stapVar
				for _, p := range f.Params {
					if stapListed(p) {
						got = append(got, stapVar{p.Name, p.Type.Name})
					}
				}
				if len(got) > len(s.Vars) || varsString(got) != varsString(s.Vars[:len(got)]) {
					t.Errorf("%s:\n got %s\nstap %s", f.Name, varsString(got), varsString(s.Vars))
				}
			}
			if checked < 9 {
				t.Errorf("only %d functions compared", checked)
			}
			for name := range byName {
				found := false
				for _, s := range stap {
					found = found || s.Name == name
				}
				if !found {
					t.Errorf("%s: listed by us, not by stap", name)
				}
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	ix := openIndex(t, testenv.GoFixture(t, testenv.GoDefault))
	_, err := ix.Lookup("main.Stri")
	var nf *NotFoundError
	if !errors.As(err, &nf) || len(nf.Near) == 0 || nf.Near[0] != "main.Str" {
		t.Fatalf("Lookup(main.Stri) = %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("multi-line error %q", err)
	}
	if _, err := ix.Match("nomatch.*"); !errors.As(err, &nf) {
		t.Errorf("Match(nomatch.*) = %v", err)
	}
}

// TestCode compares Code with the bytes debug/elf reads from .text.
func TestCode(t *testing.T) {
	bin := testenv.GoFixture(t, testenv.GoDefault)
	ix := openIndex(t, bin)
	fs, err := ix.Lookup("main.Str")
	if err != nil {
		t.Fatal(err)
	}
	code, err := ix.Code(fs[0])
	if err != nil {
		t.Fatal(err)
	}
	f, _ := elf.Open(bin)
	defer f.Close()
	text := f.Section(".text")
	data, _ := text.Data()
	want := data[fs[0].Entry-text.Addr : fs[0].End-text.Addr]
	if string(code) != string(want) || len(code) == 0 {
		t.Fatalf("Code: %d bytes, want %d", len(code), len(want))
	}
	// Go's standard prologue compares SP with g.stackguard0 through R14:
	// cmp 0x10(%r14),%rsp = 49 3b 66 10.
	if !strings.HasPrefix(string(code), "\x49\x3b\x66\x10") {
		t.Errorf("main.Str does not start with the stack check: % x", code[:8])
	}
	// The prologue ends after that check and its jbe to morestack
	// (76 rel8 or 0f 86 rel32).
	pe, ok := ix.PrologueEnd(fs[0])
	if !ok || pe < fs[0].Entry+6 || pe >= fs[0].End {
		t.Fatalf("PrologueEnd = %#x, %v (entry %#x)", pe, ok, fs[0].Entry)
	}
	if pro := string(code[:pe-fs[0].Entry]); !strings.Contains(pro, "\x49\x3b\x66\x10\x76") && !strings.Contains(pro, "\x49\x3b\x66\x10\x0f\x86") {
		t.Errorf("prologue % x lacks cmp+jbe", code[:pe-fs[0].Entry])
	}
	// GCC emits no prologue_end.
	cix := openIndex(t, testenv.CFixture(t, testenv.CO2))
	add, _ := cix.Lookup("add")
	if pc, ok := cix.PrologueEnd(add[0]); ok {
		t.Errorf("C PrologueEnd = %#x, want none", pc)
	}
}

// TestMatchExactAgreesWithScan: a pattern without wildcards takes the
// direct path through the name index; for every function name (and every
// symbol without DWARF) of the C and Go fixtures it returns what the full
// scan with the same pattern returns.
func TestMatchExactAgreesWithScan(t *testing.T) {
	for _, path := range []string{testenv.CFixture(t, testenv.CO2), testenv.GoFixture(t, testenv.GoDefault)} {
		ix := openIndex(t, path)
		ix.mu.Lock()
		names := ix.nameIndex()
		all := append(append([]string(nil), names.Names...), ix.symbolOnlyNames(names)...)
		all = append(all, "no.such.function", "")
		show := func(fs []*Function) string {
			var s []string
			for _, f := range fs {
				s = append(s, fmt.Sprintf("%s@%#x/%d", f.Name, f.Entry, len(f.Params)))
			}
			sort.Strings(s)
			return strings.Join(s, " ")
		}
		found := 0
		for _, n := range all {
			exact := ix.matchExact(names, []string{n})
			scan := ix.matchScan(names, []Glob{CompileGlob(n)})
			if show(exact) != show(scan) {
				t.Errorf("%s: %q exact %s, scan %s", filepath.Base(path), n, show(exact), show(scan))
			}
			if len(exact) > 0 {
				found++
			}
		}
		ix.mu.Unlock()
		if found < len(all)/2 {
			t.Errorf("%s: only %d of %d names resolved", filepath.Base(path), found, len(all))
		}
		t.Logf("%s: %d names agree (%d resolved)", filepath.Base(path), len(all), found)
	}
}
