package debuginfo

import (
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// nmNames maps each defined symbol of bin (nm's mangled spelling) to
// binutils' demangling of it (nm -C), the names' outside witness.
func nmNames(t *testing.T, bin string) map[string]string {
	t.Helper()
	testenv.NeedTool(t, "nm")
	raw, err := exec.Command("nm", "--defined-only", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	dem, err := exec.Command("nm", "-C", "--defined-only", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	rl, dl := testenv.Lines(raw), testenv.Lines(dem)
	if len(rl) != len(dl) {
		t.Fatalf("nm: %d symbols, nm -C: %d", len(rl), len(dl))
	}
	out := map[string]string{}
	for i := range rl {
		r, d := strings.SplitN(rl[i], " ", 3), strings.SplitN(dl[i], " ", 3)
		if len(r) == 3 && len(d) == 3 {
			out[r[2]] = d[2]
		}
	}
	return out
}

// TestCXXNames: every C++ function of the fixture is listed by the name
// binutils' demangler gives its linkage name (less the parameter list), and
// globs and lookups by qualified and mangled names find it.
func TestCXXNames(t *testing.T) {
	bin := testenv.CXXFixture(t, testenv.CO0)
	nm := nmNames(t, bin)
	ix := openIndex(t, bin)
	fns, err := ix.Match("*")
	if err != nil {
		t.Fatal(err)
	}
	linked := 0
	for _, f := range fns {
		if f.LinkageName == "" {
			continue
		}
		linked++
		d, ok := nm[f.LinkageName]
		if !ok {
			t.Errorf("%s: linkage name %s is no symbol", f.Name, f.LinkageName)
			continue
		}
		d = d[:strings.LastIndex(d, "(")]
		if strings.Contains(d, "<") {
			// The demangler spells template arguments "long", DWARF "long
			// int" (as stap does): the stap test checks those.
			d = strings.Replace(d, "<long>", "<long int>", 1)
			d = d[strings.LastIndex(d[:strings.Index(d, "<")], " ")+1:]
		}
		if f.Name != d {
			t.Errorf("%s: nm -C says %s", f.Name, d)
		}
		got, err := ix.Lookup(f.LinkageName)
		if err != nil || len(got) != 1 || got[0].Name != f.Name || got[0].Entry != f.Entry {
			t.Errorf("Lookup(%s) = %v, %v; want %s at %#x", f.LinkageName, got, err, f.Name, f.Entry)
		}
	}
	if linked < 9 {
		t.Errorf("only %d functions with linkage names", linked)
	}
	globs := []struct {
		pat  string
		want []string
	}{
		{"shop::geo::*", []string{"shop::geo::area", "shop::geo::area"}},
		{"*::add", []string{"shop::Cart::add"}},
		{"shop::biggest*", []string{"shop::biggest<int>", "shop::biggest<long int>"}},
		{"shop::Cart::operator+=", []string{"shop::Cart::operator+="}},
	}
	for _, g := range globs {
		fs, err := ix.Match(g.pat)
		if err != nil {
			t.Errorf("Match(%s): %v", g.pat, err)
			continue
		}
		var names []string
		for _, f := range fs {
			names = append(names, f.Name)
		}
		if fmt.Sprint(names) != fmt.Sprint(g.want) {
			t.Errorf("Match(%s) = %v, want %v", g.pat, names, g.want)
		}
	}
	area, err := ix.Lookup("shop::geo::area")
	if err != nil || len(area) != 2 || area[0].LinkageName == area[1].LinkageName {
		t.Fatalf("overloads of area: %v, %v", area, err)
	}
	_, err = ix.Lookup("shop::Cart::ad")
	if nf, ok := err.(*NotFoundError); !ok || !contains(nf.Near, "shop::Cart::add") {
		t.Errorf("near miss: %v", err)
	}
}

// TestCXXAgreesWithStap: for every function of the C++ fixture, stap -L
// given our qualified name lists the same line with our parameters and
// types, and given our linkage name that one function alone.
func TestCXXAgreesWithStap(t *testing.T) {
	tree := buildTree(t, "", "")
	for _, v := range []testenv.CVariant{testenv.CO0, testenv.CO2} {
		t.Run(string(v), func(t *testing.T) {
			bin := testenv.CXXFixture(t, v)
			ix := openIndex(t, bin)
			fns, err := ix.Match("shop::*", "main")
			if err != nil {
				t.Fatal(err)
			}
			var probes []string
			for _, f := range fns {
				probes = append(probes, fmt.Sprintf("process(%q).function(%q)", bin, f.Name))
			}
			stap := stapList(t, tree, strings.Join(probes, ", "))
			for _, f := range fns {
				var line *stapFunc
				for i, s := range stap {
					if s.Name == f.Name && s.Line == fmt.Sprint(f.Line) {
						line = &stap[i]
					}
				}
				if line == nil {
					t.Errorf("%s:%d: stap -L does not list it", f.Name, f.Line)
					continue
				}
				if !agreesWithStap(t, ix, f, line.Vars) {
					t.Errorf("%s:\n got %s\nstap %s", f.Name, paramsString(f), varsString(line.Vars))
				}
				if f.LinkageName == "" {
					continue
				}
				one := stapList(t, tree, fmt.Sprintf("process(%q).function(%q)", bin, f.LinkageName))
				if len(one) != 1 || one[0].Line != fmt.Sprint(f.Line) {
					t.Errorf("%s: stap -L by %s lists %+v, want the one at line %d", f.Name, f.LinkageName, one, f.Line)
				}
			}
		})
	}
}

// TestGlibcAgreesWithStap: glibc's aliases resolve to the function the
// DWARF names, as stap resolves them, and 100 functions sampled across
// libc.so.6 (with Debian's libc6-dbg) have stap -L's parameters and types.
func TestGlibcAgreesWithStap(t *testing.T) {
	testenv.Long(t, "runs stap -L on glibc")
	libc := testenv.Libc(t)
	tree := buildTree(t, "", "")
	b, err := target.OpenWith(libc, target.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	ix, err := OpenWith(b, Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	// stap resolves the first five aliases itself; fopen is a versioned
	// symbol (fopen@@GLIBC_2.2.5) it does not find, and its DWARF name is
	// what a probe then uses.
	aliases := []string{"malloc", "open", "free", "calloc", "read", "fopen"}
	var probes []string
	var resolved []*Function
	for _, a := range aliases {
		fs, err := ix.Lookup(a)
		if err != nil || len(fs) == 0 {
			t.Fatalf("Lookup(%s): %v", a, err)
		}
		resolved = append(resolved, fs[0])
		probes = append(probes, fmt.Sprintf("process(%q).function(%q)", libc, a), fmt.Sprintf("process(%q).function(%q)", libc, fs[0].Name))
	}
	stap := stapList(t, tree, strings.Join(probes, ", "))
	for i, a := range aliases {
		f := resolved[i]
		var line *stapFunc
		for i, s := range stap {
			if s.Name == f.Name && s.Line == fmt.Sprint(f.Line) {
				line = &stap[i]
			}
		}
		switch {
		case line == nil:
			t.Errorf("%s: we say %s:%d (symbol %q), stap -L lists %+v", a, f.Name, f.Line, f.Symbol, stap)
		case !agreesWithStap(t, ix, f, line.Vars):
			t.Errorf("%s → %s:\n got %s\nstap %s", a, f.Name, paramsString(f), varsString(line.Vars))
		case f.Name != a && f.Symbol != a:
			t.Errorf("%s → %s: Symbol %q", a, f.Name, f.Symbol)
		}
	}

	all, err := ix.Match("*")
	if err != nil {
		t.Fatal(err)
	}
	var typed []*Function
	seen := map[string]bool{}
	for _, f := range all {
		if !f.NoTypes && !f.Inlined && f.Symbol == "" && !seen[f.Name] && len(f.Params) > 0 {
			seen[f.Name] = true
			typed = append(typed, f)
		}
	}
	sort.Slice(typed, func(i, j int) bool { return typed[i].Name < typed[j].Name })
	var sample []*Function
	for i := 0; i < 100 && len(typed) >= 100; i++ {
		sample = append(sample, typed[i*len(typed)/100])
	}
	if len(sample) < 100 {
		t.Fatalf("only %d typed functions", len(typed))
	}
	probes = probes[:0]
	for _, f := range sample {
		probes = append(probes, fmt.Sprintf("process(%q).function(%q)", libc, f.Name))
	}
	stap = stapList(t, tree, strings.Join(probes, ", "))
	agree := 0
	for _, f := range sample {
		ok := false
		for _, s := range stap {
			if s.Name == f.Name && s.Line == fmt.Sprint(f.Line) && agreesWithStap(t, ix, f, s.Vars) {
				ok = true
			}
		}
		if ok {
			agree++
			continue
		}
		var lines []string
		for _, s := range stap {
			if s.Name == f.Name {
				lines = append(lines, s.Line+" "+varsString(s.Vars))
			}
		}
		t.Errorf("%s:%d:\n got %s\nstap %v", f.Name, f.Line, paramsString(f), lines)
	}
	t.Logf("%d of %d sampled glibc functions agree with stap -L", agree, len(sample))
}

// TestCXXPrologueAsStap: of the functions whose parameters live in the
// frame (-O0), stap places a .function().call probe at the entry itself
// exactly for those UnskippedBody marks (template instances, in line
// sequences of their own), and past the prologue for the others; stap -p2
// prints each probe's pc.
func TestCXXPrologueAsStap(t *testing.T) {
	tree := buildTree(t, "", "")
	testenv.NeedStap(t)
	pcRE := regexp.MustCompile(`\.function\("([^"@]+)@[^"]*"\)\.call /\* pc=[^+]*\+0x([0-9a-f]+) \*/`)
	for _, v := range []testenv.CVariant{testenv.CO0, testenv.CO2} {
		t.Run(string(v), func(t *testing.T) {
			bin := testenv.CXXFixture(t, v)
			ix := openIndex(t, bin)
			fns, err := ix.Match("shop::*")
			if err != nil {
				t.Fatal(err)
			}
			var probes []string
			kept := fns[:0]
			for _, f := range fns {
				if !f.Inlined { // the -O2 constructor has no code of its own
					kept = append(kept, f)
					probes = append(probes, fmt.Sprintf("process(%q).function(%q).call", bin, f.LinkageName))
				}
			}
			fns = kept
			script := "probe " + strings.Join(probes, ", ") + ` { printf("x") }`
			out, err := exec.Command("stap", "-r", tree, "-p2", "-e", script).CombinedOutput()
			if err != nil {
				t.Fatalf("stap -p2: %v\n%s", err, out)
			}
			pcs := map[string]uint64{}
			for _, m := range pcRE.FindAllStringSubmatch(string(out), -1) {
				pc, _ := strconv.ParseUint(m[2], 16, 64)
				pcs[m[1]] = pc
			}
			marked := 0
			for _, f := range fns {
				pc, ok := pcs[f.LinkageName]
				if !ok {
					t.Errorf("%s: stap -p2 printed no pc\n%s", f.LinkageName, out)
					continue
				}
				if f.UnskippedBody != 0 {
					marked++
				}
				framed := false
				for _, p := range f.Params {
					framed = framed || strings.HasPrefix(p.Location, "fbreg")
				}
				if !framed {
					continue // -O2: registers, valid at the entry, where stap probes
				}
				if (pc == f.Entry) != (f.UnskippedBody != 0) {
					t.Errorf("%s: stap probes %#x, entry %#x, UnskippedBody %#x", f.Name, pc, f.Entry, f.UnskippedBody)
				}
			}
			if v == testenv.CO0 && marked < 2 {
				t.Errorf("only %d functions marked (the two template instances are)", marked)
			}
		})
	}
}

// TestCXXStdAgreesWithStap: every out-of-line function of a program over
// the C++ standard library (its own, and the vector, string and map
// template instances it contains), given to stap -L by its linkage name
// (how stapgen probes C++), has our parameters and types in stap's
// spelling ("class vector<int, std::allocator<int> > const&", "struct
// Point&&", "int (*) (int)").
func TestCXXStdAgreesWithStap(t *testing.T) {
	tree := buildTree(t, "", "")
	testenv.NeedStap(t)
	bin := testenv.CXXStd(t)
	ix := openIndex(t, bin)
	all, err := ix.Match("*")
	if err != nil {
		t.Fatal(err)
	}
	var fns []*Function
	var probes []string
	for _, f := range all {
		if f.LinkageName != "" && !f.Inlined && !f.NoTypes {
			fns = append(fns, f)
			probes = append(probes, fmt.Sprintf("process(%q).function(%q)", bin, f.LinkageName))
		}
	}
	all_ := stapList(t, tree, strings.Join(probes, ", "))
	for _, f := range fns {
		ok, retried := false, false
		stap := all_
	again:
		for _, s := range stap {
			// stap names the line by the DWARF's own name, or by the
			// symbol when it found the function through one.
			named := s.Name == f.LinkageName || s.Name == f.Name || strings.HasSuffix(f.Name, "::"+s.Name)
			if named && s.Line == fmt.Sprint(f.Line) && agreesWithStap(t, ix, f, s.Vars) {
				ok = true
			}
		}
		if !ok && !retried {
			retried = true
			// stap prints one line per name@file:line: instances of one
			// template member (deallocate of two allocators) share it.
			stap = stapList(t, tree, fmt.Sprintf("process(%q).function(%q)", bin, f.LinkageName))
			goto again
		}
		if !ok {
			t.Errorf("%s (%s):\n got %s\nstap %v", f.Name, f.LinkageName, paramsString(f), stap)
		}
	}
	if len(fns) < 50 {
		t.Errorf("only %d C++ functions", len(fns))
	}
	t.Logf("%d functions compared", len(fns))
}
