package gosource

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/goruntime"
	"github.com/stapgen/stapgen/internal/testenv"
)

// toolchain is a Go that builds the fixture for the comparison.
type toolchain struct {
	name  string
	goCmd string
}

func toolchains(t testing.TB) []toolchain {
	tcs := []toolchain{
		{"host", testenv.NeedTool(t, "go")},
		{"go1.19", go119(t)},
		{"go1.27.3", moduleToolchain(t, "go1.27.3", true)},
	}
	// Toolchains on either side of the runtime type renames (Go 1.21,
	// 1.22) are compared when the module cache has them.
	for _, v := range []string{"go1.21.13", "go1.24.0"} {
		if p := moduleToolchain(t, v, false); p != "" {
			tcs = append(tcs, toolchain{v, p})
		}
	}
	return tcs
}

// moduleToolchain is a Go the go command downloaded for GOTOOLCHAIN into
// the module cache; its source is what the binary's types must match.
func moduleToolchain(t testing.TB, v string, need bool) string {
	out, err := exec.Command(testenv.NeedTool(t, "go"), "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(strings.TrimSpace(string(out)), "golang.org", "toolchain@v0.0.1-"+v+".linux-amd64", "bin", "go")
	_, err = os.Stat(p)
	if need {
		testenv.Need(t, err == nil, "%s missing: GOTOOLCHAIN=%s go version downloads it", p, v)
	}
	if err != nil {
		return ""
	}
	return p
}

// go119 is Debian bookworm's Go (golang-1.19-go), whose source
// golang-1.19-src is the one Debian's daemons were built from.
func go119(t testing.TB) string {
	const p = "/usr/lib/go-1.19/bin/go"
	_, err := os.Stat(p)
	testenv.Need(t, err == nil, "%s missing: apt-get install golang-1.19-go golang-1.19-src", p)
	_, err = os.Stat("/usr/share/go-1.19/src/syscall")
	testenv.Need(t, err == nil, "Go 1.19 source missing: apt-get install golang-1.19-src")
	return p
}

var (
	fixMu    sync.Mutex
	fixBuilt = map[string]string{}
)

// fixture builds gofix, unstripped, with the given go command (the go
// build cache makes repeated builds cheap). The twin's DWARF is what the
// source types are compared with.
func fixture(t testing.TB, tc toolchain) string {
	t.Helper()
	fixMu.Lock()
	defer fixMu.Unlock()
	if p, ok := fixBuilt[tc.goCmd]; ok {
		return p
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "gofix")
	cmd := exec.Command(tc.goCmd, "build", "-o", out, ".")
	cmd.Dir = filepath.Dir(testenv.GoSource("main.go"))
	cmd.Env = append(os.Environ(), "GO111MODULE=off", "GOFLAGS=", "GOTOOLCHAIN=local")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build gofix with %s: %v\n%s", tc.goCmd, err, b)
	}
	// t.TempDir is removed with the first test; keep the binary for all.
	keep, err := os.MkdirTemp("", "gosource-fix")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(keep, "gofix")
	if err := os.Rename(out, p); err != nil {
		t.Fatal(err)
	}
	fixBuilt[tc.goCmd] = p
	return p
}

// samplePatterns are the fixture's packages with parameters worth
// comparing: its own and the standard library linked into it.
var samplePatterns = []string{"main.*", "os.*", "syscall.*", "strings.*", "fmt.*", "errors.*", "strconv.*",
	"sync.*", "time.*", "internal/poll.*", "unicode/utf8.*", "io.*", "flag.*", "sort.*", "reflect.*",
	"internal/fmtsort.*", "math.*", "unicode.*", "sync/atomic.*", "io/fs.*", "path.*", "slices.*", "runtime.*", "internal/*"}

// sampled returns out-of-line functions with parameters or results from
// the DWARF, skipping what source cannot describe (generic
// instantiations, nested closures, wrappers); one function per name.
func sampled(t *testing.T, ix *debuginfo.Index) []*debuginfo.Function {
	fs, err := ix.Match(samplePatterns...)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var out []*debuginfo.Function
	for _, f := range fs {
		if seen[f.Name] || f.Inlined || f.Entry == 0 || len(f.Params)+len(f.Results) == 0 {
			continue
		}
		if _, err := parseFuncName(f.Name); err != nil {
			continue
		}
		seen[f.Name] = true
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func regABIOptions(name string, recv bool) goabi.Options {
	return goabi.Options{Dict: goruntime.Dictionary(name)}
}

func assignString(vs, rs []debuginfo.Variable, recv bool, name string) string {
	var pt, rt []*debuginfo.Type
	for _, v := range vs {
		pt = append(pt, v.Type)
	}
	for _, v := range rs {
		rt = append(rt, v.Type)
	}
	in, out, err := goabi.Assign(pt, rt, regABIOptions(name, recv))
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprint(in, out)
}

// diff compares one source variable with the DWARF one; empty means equal
// in name and type (see typeDiff).
func diff(src, dw debuginfo.Variable) string {
	var d []string
	if src.Name != dw.Name {
		d = append(d, fmt.Sprintf("name %q vs DWARF %q", src.Name, dw.Name))
	}
	if s := typeDiff(src.Type, dw.Type, 0); s != "" {
		d = append(d, dw.Name+": "+s)
	}
	return strings.Join(d, "; ")
}

// arraySpellings counts the array types whose spelling typeDiff did not
// compare (see there).
var arraySpellings int

// typeDiff compares kind, size, both spellings, array count, interface
// kind, and two levels of members (name, offset, type) and element and
// key types. Interface headers' first word is compared by its pointer
// only: source gives the runtime's itab and type descriptor no members.
func typeDiff(s, d *debuginfo.Type, depth int) string {
	if s == nil || d == nil {
		if s != d {
			return "nil type"
		}
		return ""
	}
	var out []string
	add := func(what string, a, b any) {
		if a != b {
			out = append(out, fmt.Sprintf("%s %v vs DWARF %v", what, a, b))
		}
	}
	add("kind", s.Kind, d.Kind)
	add("size", s.Size, d.Size)
	if d.Kind == debuginfo.KindArray && s.GoName != d.GoName && strings.HasPrefix(d.GoName, s.GoName) {
		// debuginfo appends an array's element spelling twice when it
		// meets the type twice ("[4]uint64uint64", "[128][4]uint64uint64");
		// the element types are compared below.
		arraySpellings++
	} else {
		add("type", s.GoName, d.GoName)
	}
	add("stap name", s.Name, d.Name)
	add("count", s.Count, d.Count)
	add("empty interface", s.EmptyInterface, d.EmptyInterface)
	if depth >= 2 || len(out) > 0 {
		return strings.Join(out, ", ")
	}
	sf, df := s.Members(), d.Members()
	if d.Kind == debuginfo.KindInterface {
		sf, df = sf[1:], df[1:]
	}
	if len(sf) != len(df) {
		out = append(out, fmt.Sprintf("%d members vs DWARF %d", len(sf), len(df)))
	} else {
		for i := range df {
			add("member", sf[i].Name, df[i].Name)
			add(df[i].Name+" offset", sf[i].Offset, df[i].Offset)
			if x := typeDiff(sf[i].Type, df[i].Type, depth+1); x != "" {
				out = append(out, "."+df[i].Name+": "+x)
			}
		}
	}
	if d.Elem != nil && d.Kind != debuginfo.KindInterface {
		if x := typeDiff(s.Elem, d.Elem, depth+1); x != "" {
			out = append(out, "elem: "+x)
		}
	}
	if d.Key != nil {
		if x := typeDiff(s.Key, d.Key, depth+1); x != "" {
			out = append(out, "key: "+x)
		}
	}
	return strings.Join(out, ", ")
}

// TestTypesMatchDWARF resolves every sampled function of the fixture,
// built by the host Go and by Debian's Go 1.19, from the toolchain's own
// source and the fixture's, and compares with the binary's DWARF:
// names, types (two levels deep), the register assignment; and the
// argument size with the function table's args.
func TestTypesMatchDWARF(t *testing.T) {
	for _, tc := range toolchains(t) {
		t.Run(tc.name, func(t *testing.T) {
			bin := fixture(t, tc)
			ix, args := oracles(t, bin)
			r, err := Open(bin, Options{Source: filepath.Dir(testenv.GoSource("main.go"))})
			if err != nil {
				t.Fatal(err)
			}
			fs := sampled(t, ix)
			var matched, frameOK, dupResults int
			var noSig, noRecv, mismatches []string
			for _, f := range fs {
				if d := dedupe(f.Results); len(d) != len(f.Results) {
					dupResults++
					f.Results = d
				}
				sig, err := r.Func(f.Name)
				if err != nil {
					noSig = append(noSig, err.Error())
					continue
				}
				recv := strings.Contains(f.Name, ").") || strings.Count(f.Name[strings.LastIndexByte(f.Name, '/')+1:], ".") == 2
				params := sig.Params
				wrapper := len(params) == len(f.Params)+1 && f.File == "./<autogenerated>"
				if wrapper {
					// Go 1.19-1.21's DWARF leaves out the receiver of
					// compiler-generated method wrappers; the frame
					// check below still sees it.
					params = params[1:]
				} else if len(params) > len(f.Params) {
					// ... and unnamed or blank parameters (~pN).
					var named []debuginfo.Variable
					for _, v := range params {
						if !strings.HasPrefix(v.Name, "~p") {
							named = append(named, v)
						}
					}
					wrapper = len(named) == len(f.Params)
					if wrapper {
						params = named
					}
				}
				if wrapper {
					noRecv = append(noRecv, f.Name)
				}
				var ds []string
				if len(params) != len(f.Params) || len(sig.Results) != len(f.Results) {
					ds = append(ds, fmt.Sprintf("%d params %d results vs DWARF %d, %d", len(params), len(sig.Results), len(f.Params), len(f.Results)))
				} else {
					for i := range f.Params {
						if d := diff(params[i], f.Params[i]); d != "" {
							ds = append(ds, d)
						}
					}
					for i := range f.Results {
						if d := diff(sig.Results[i], f.Results[i]); d != "" {
							ds = append(ds, d)
						}
					}
					if a, b := assignString(params, sig.Results, recv && !wrapper, f.Name), assignString(f.Params, f.Results, recv && !wrapper, f.Name); a != b && !wrapper {
						ds = append(ds, fmt.Sprintf("registers %s vs DWARF %s", a, b))
					}
				}
				want, ok := args[f.Name]
				if !ok {
					ds = append(ds, "not in the function table")
				} else if err := sig.Check(want, regABIOptions(f.Name, recv)); err != nil {
					ds = append(ds, "frame: "+err.Error())
				} else {
					frameOK++
				}
				if len(ds) == 0 {
					matched++
				} else {
					mismatches = append(mismatches, f.Name+": "+strings.Join(ds, "; "))
				}
			}
			t.Logf("%s (%s): %d sampled functions; %d match DWARF and the function table's args exactly (%.1f%%), %d differ, %d have no source signature; args agree for %d",
				tc.name, r.GoVersion(), len(fs), matched, 100*float64(matched)/float64(max(len(fs), 1)), len(mismatches), len(noSig), frameOK)
			t.Logf("DWARF repeats the results of %d functions (~r0 ~r0 ~r1 ~r1), compared once; DWARF lacks the receiver of wrappers or unnamed/blank parameters of %d functions, compared without them: %v",
				dupResults, len(noRecv), noRecv)
			t.Logf("array spellings not compared (debuginfo's \"[4]uint64uint64\"): %d", arraySpellings)
			for _, m := range noSig {
				t.Log("no signature: " + m)
			}
			for _, m := range mismatches {
				t.Log("mismatch: " + m)
			}
			if len(fs) < 200 {
				t.Errorf("only %d functions sampled, want at least 200", len(fs))
			}
			if len(mismatches) > 0 {
				t.Errorf("%d functions differ from DWARF", len(mismatches))
			}
			if matched < len(fs)*95/100 {
				t.Errorf("%d of %d match, want 95%%", matched, len(fs))
			}
		})
	}
}

// dedupe drops results whose name repeats an earlier one: Go's DWARF
// lists some functions' results twice, and source never repeats a name.
func dedupe(vs []debuginfo.Variable) []debuginfo.Variable {
	seen := map[string]bool{}
	var out []debuginfo.Variable
	for _, v := range vs {
		if !seen[v.Name] {
			seen[v.Name] = true
			out = append(out, v)
		}
	}
	return out
}
