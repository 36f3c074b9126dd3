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
	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// toolchain is a Go that builds the fixture for the comparison.
type toolchain struct {
	name  string
	goCmd string
}

func toolchains(t *testing.T) []toolchain {
	return []toolchain{
		{"host", testenv.NeedTool(t, "go")},
		{"go1.19", go119(t)},
	}
}

// go119 is Debian bookworm's Go (golang-1.19-go), whose source
// golang-1.19-src is the one Debian's daemons were built from.
func go119(t *testing.T) string {
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
func fixture(t *testing.T, tc toolchain) string {
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
	"internal/fmtsort.*", "math.*", "unicode.*", "sync/atomic.*", "io/fs.*", "path.*", "slices.*"}

// sampled returns out-of-line functions with parameters or results from
// the DWARF, skipping what source cannot describe (closures, generic
// instantiations, wrappers); one function per name.
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
	return goabi.Options{Dict: goabi.DictFor(name, recv)}
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
// in name, kind, size and Go spelling.
func diff(src, dw debuginfo.Variable) string {
	var d []string
	if src.Name != dw.Name {
		d = append(d, fmt.Sprintf("name %q vs DWARF %q", src.Name, dw.Name))
	}
	if src.Type.Kind != dw.Type.Kind {
		d = append(d, fmt.Sprintf("%s kind %s vs DWARF %s (%s)", dw.Name, src.Type.Kind, dw.Type.Kind, src.Type.Name))
	}
	if src.Type.Size != dw.Type.Size {
		d = append(d, fmt.Sprintf("%s size %d vs DWARF %d", dw.Name, src.Type.Size, dw.Type.Size))
	}
	if src.Type.GoName != dw.Type.GoName {
		d = append(d, fmt.Sprintf("%s type %q vs DWARF %q", dw.Name, src.Type.GoName, dw.Type.GoName))
	}
	if src.Type.Name != dw.Type.Name {
		d = append(d, fmt.Sprintf("%s stap name %q vs DWARF %q", dw.Name, src.Type.Name, dw.Type.Name))
	}
	return strings.Join(d, "; ")
}

// TestTypesMatchDWARF resolves every sampled function of the fixture,
// built by the host Go and by Debian's Go 1.19, from the toolchain's own
// source and the fixture's, and compares with the binary's DWARF:
// names, kinds, sizes, spellings and the register assignment; and the
// ABI0 frame with the function table's args.
func TestTypesMatchDWARF(t *testing.T) {
	for _, tc := range toolchains(t) {
		t.Run(tc.name, func(t *testing.T) {
			bin := fixture(t, tc)
			b, err := target.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			ix, err := debuginfo.Open(b)
			if err != nil {
				t.Fatal(err)
			}
			args, err := pclnArgs(bin)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Open(bin, Options{Source: filepath.Dir(testenv.GoSource("main.go"))})
			if err != nil {
				t.Fatal(err)
			}
			fs := sampled(t, ix)
			var compared, matched, frameOK, frameBad, noSig, dupResults int
			var noRecv []string
			var mismatches []string
			for _, f := range fs {
				dwResults := dedupe(f.Results)
				if len(dwResults) != len(f.Results) {
					dupResults++
				}
				f.Results = dwResults
				sig, err := r.Func(f.Name)
				if err != nil {
					noSig++
					mismatches = append(mismatches, fmt.Sprintf("%s: %v", f.Name, err))
					continue
				}
				compared++
				fn, _ := parseFuncName(f.Name)
				var ds []string
				recv := strings.Contains(f.Name, ").") || strings.Count(f.Name[strings.LastIndexByte(f.Name, '/')+1:], ".") == 2
				if len(sig.Params) == len(f.Params)+1 && fn.ptrRecv && f.File == "" || f.File == "./<autogenerated>" && len(sig.Params) == len(f.Params)+1 {
					// Go 1.19's DWARF leaves the receiver out of the
					// (*T).M wrappers of value methods.
					noRecv = append(noRecv, f.Name)
					continue
				}
				if len(sig.Params) != len(f.Params) || len(sig.Results) != len(f.Results) {
					ds = append(ds, fmt.Sprintf("%d params %d results vs DWARF %d, %d", len(sig.Params), len(sig.Results), len(f.Params), len(f.Results)))
				} else {
					for i := range f.Params {
						if d := diff(sig.Params[i], f.Params[i]); d != "" {
							ds = append(ds, d)
						}
					}
					for i := range f.Results {
						if d := diff(sig.Results[i], f.Results[i]); d != "" {
							ds = append(ds, d)
						}
					}
					if a, b := assignString(sig.Params, sig.Results, recv, f.Name), assignString(f.Params, f.Results, recv, f.Name); a != b {
						ds = append(ds, fmt.Sprintf("registers %s vs DWARF %s", a, b))
					}
				}
				if want, ok := args[f.Name]; ok && len(sig.Params) == len(f.Params) {
					if err := sig.Check(want, regABIOptions(f.Name, recv)); err != nil {
						frameBad++
						ds = append(ds, "frame: "+err.Error())
					} else {
						frameOK++
					}
				}
				if len(ds) == 0 {
					matched++
				} else {
					mismatches = append(mismatches, f.Name+": "+strings.Join(ds, "; "))
				}
			}
			t.Logf("%s (%s): %d sampled functions, %d resolved from source, %d match DWARF exactly (%.1f%%), %d without a source signature; frame = pclntab args for %d, differs for %d",
				tc.name, r.GoVersion(), len(fs), compared, matched, 100*float64(matched)/float64(max(len(fs), 1)), noSig, frameOK, frameBad)
			t.Logf("DWARF repeats results of %d functions (compiler quirk: ~r0 ~r0 ~r1 ~r1), compared once; DWARF has no receiver for %d (*T).M wrappers: %v",
				dupResults, len(noRecv), noRecv)
			for _, m := range mismatches {
				t.Log("mismatch: " + m)
			}
			if len(fs) < 200 {
				t.Errorf("only %d functions sampled, want at least 200", len(fs))
			}
			if matched < (len(fs)-len(noRecv))*95/100 {
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
