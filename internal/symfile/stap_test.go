package symfile

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// probeSet is a script under test and the address each probe must land on.
type probeSet struct {
	script string
	want   []uint64 // one per probe point, sorted
}

// stapQuote writes a binary path or message as a stap string literal.
// Paths here are plain; anything else is the test's mistake.
func stapQuote(s string) string {
	if strings.ContainsAny(s, "\"\\%\n") {
		panic("stapQuote: " + s)
	}
	return `"` + s + `"`
}

// nameLit is a function name from Result.Names between quotes, as it is:
// stap's lexer would keep an escape's backslash for fnmatch to read.
func nameLit(t *testing.T, name string) string {
	t.Helper()
	if strings.ContainsAny(name, "\"\\") {
		t.Fatalf("name %q cannot go into function(\"...\")", name)
	}
	return `"` + name + `"`
}

// sample picks the named functions, every step-th one of the table, ten
// pointer-receiver methods and the first name with each character stap
// reads specially, so methods, closures, generics, struct-tag quotes and
// runtime assembly all get probed.
func sample(funcs []Func, named []string, step int) []Func {
	want := map[string]bool{}
	for _, n := range named {
		want[n] = true
	}
	odd := map[string]bool{`"`: false, `\`: false, "[": false, "%": false, "(*": false}
	var out []Func
	ptr := 0
	for i, fn := range funcs {
		pick := want[fn.Name] || i%step == 0
		for c, seen := range odd {
			if !seen && strings.Contains(fn.Name, c) {
				odd[c], pick = true, true
			}
		}
		if strings.Contains(fn.Name, ".(*") && ptr < 10 && i%(step/10+1) == 0 {
			pick = true
			ptr++
		}
		if pick {
			out = append(out, fn)
		}
	}
	return out
}

// writeProbes writes the debug file for bin and a script probing each
// sampled function's entry (.call, as the planner writes it) and each of
// its RETs by the names Write returned. With subs the file's DWARF also
// describes each sampled function (Sub, no parameters), so that the RET
// aliases lie inside functions stap finds in DWARF.
func writeProbes(t *testing.T, bin, cache string, funcs, picked []Func, subs bool) (*Result, probeSet) {
	t.Helper()
	var sites []uint64
	rets := map[uint64][]uint64{}
	for _, fn := range picked {
		rets[fn.Entry] = objdumpRets(t, bin, fn.Entry, fn.End)
		sites = append(sites, rets[fn.Entry]...)
	}
	var described []Sub
	for _, fn := range picked {
		if subs {
			described = append(described, Sub{Name: fn.Name, Entry: fn.Entry, End: fn.End})
		}
	}
	res, err := Write(Request{Binary: bin, BuildID: readelfBuildID(t, bin), Funcs: funcs, Sites: sites, Subs: described, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var ps probeSet
	point := func(a uint64, suffix string) {
		name, ok := res.Names[a]
		if !ok {
			t.Fatalf("no name for 0x%x", a)
		}
		fmt.Fprintf(&b, "probe process(%s).function(%s)%s { printf(\"%x\\n\") }\n", stapQuote(bin), nameLit(t, name), suffix, a)
		ps.want = append(ps.want, a-loadBase(t, bin))
	}
	for _, fn := range picked {
		point(fn.Entry, ".call")
		for _, r := range rets[fn.Entry] {
			point(r, "")
		}
	}
	ps.script = b.String()
	sort.Slice(ps.want, func(i, j int) bool { return ps.want[i] < ps.want[j] })
	return res, ps
}

var pcRE = regexp.MustCompile(`/\* pc=\.(?:absolute|dynamic)\+0x([0-9a-f]+) \*/`)

// resolved is the sorted pc offsets of stap -p2's "# probes" listing.
func resolved(out []byte) []uint64 {
	var pcs []uint64
	for _, m := range pcRE.FindAllSubmatch(out, -1) {
		a, _ := strconv.ParseUint(string(m[1]), 16, 64)
		pcs = append(pcs, a)
	}
	sort.Slice(pcs, func(i, j int) bool { return pcs[i] < pcs[j] })
	return pcs
}

// stapRun runs one stap with env added and returns its combined output.
func stapRun(t *testing.T, env string, bin string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	if env != "" {
		cmd.Env = append(cmd.Env, env)
	}
	return cmd.CombinedOutput()
}

func checkResolved(t *testing.T, who string, out []byte, ps probeSet) {
	t.Helper()
	got := resolved(out)
	if fmt.Sprint(got) != fmt.Sprint(ps.want) {
		t.Errorf("%s: probes resolved at %x, want %x\n%s", who, got, ps.want, out)
	}
}

// TestStapAcceptsGeneratedNames is the proof for issue 13 point 4: for a
// stripped Go fixture and Debian's stripped runc and containerd, every
// sampled function's entry and every RET objdump finds in it resolves, at
// exactly that address, in stap 4.8 (-p2, and -p4 for the BPF runtime) and
// stap 5.1 (-p2, and -p4 against the lab kernel); and without the debug
// file stap 4.8 refuses a probe on the same binary. gofix+dwarf: the same
// when the file's DWARF describes the sampled functions (as BPF plans of
// stripped binaries have it write): the aliases inside them still resolve.
func TestStapAcceptsGeneratedNames(t *testing.T) {
	stap := testenv.NeedTool(t, "stap")
	tree := testenv.HostBuildTree(t)
	stap51, err := lab.Stap(lab.Trixie)
	testenv.Need(t, err == nil, "%v", err)
	fix, _ := stripped(t, testenv.GoDefault)
	pie, _ := stripped(t, testenv.GoPIE)
	cases := []struct {
		name, bin string
		named     []string
		step      int
		subs      bool
	}{
		{"gofix", fix, []string{"main.Str", "main.(*Rect).Area", "main.Rect.Scale", "main.Sum[go.shape.int]", "main.Adder.func1", "main.Mount"}, 97, false},
		{"gofix+dwarf", fix, []string{"main.Str", "main.(*Rect).Area", "main.Rect.Scale", "main.Sum[go.shape.int]", "main.Adder.func1", "main.Mount"}, 97, true},
		{"gofix-pie", pie, []string{"main.Str", "main.(*Rect).Area", "main.Sum[go.shape.float64]"}, 401, false},
		{"runc", corpus(t, "runc", "usr/sbin/runc"), []string{"golang.org/x/sys/unix.Mount", "main.main", "github.com/opencontainers/runc/libcontainer.(*linuxContainer).Start"}, 541, false},
		{"containerd", corpus(t, "containerd", "usr/bin/containerd"), []string{"golang.org/x/sys/unix.Mount", "github.com/containerd/containerd/services/server.(*Server).ServeGRPC"}, 2003, false},
	}
	cache := filepath.Join(testenv.FixtureRoot(), "symfile-cache") // visible in the lab chroot
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			funcs := funcTable(t, c.bin)
			picked := sample(funcs, c.named, c.step)
			have := map[string]bool{}
			for _, fn := range picked {
				have[fn.Name] = true
			}
			for _, n := range c.named {
				if !have[n] {
					t.Fatalf("%s is not in the function table", n)
				}
			}
			dir := cache
			if c.subs {
				dir += "-dwarf"
			}
			res, ps := writeProbes(t, c.bin, dir, funcs, picked, c.subs)
			f := filepath.Join(t.TempDir(), "s.stp")
			if err := os.WriteFile(f, []byte(ps.script), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d functions sampled, %d probe points", len(picked), len(ps.want))
			for _, fn := range picked {
				if n := res.Names[fn.Entry]; n != fn.Name {
					t.Logf("  %s probed as %s", fn.Name, n)
				}
			}

			out, err := stapRun(t, res.Env, stap, "-r", tree, "-p2", "--runtime=bpf", f)
			if err != nil {
				t.Fatalf("stap 4.8 -p2: %v\n%s\n--- script:\n%s", err, out, ps.script)
			}
			checkResolved(t, "stap 4.8", out, ps)

			out, err = stapRun(t, res.Env, stap51, "-r", lab.Release(), "-p2", f)
			if err != nil {
				t.Fatalf("stap 5.1 -p2: %v\n%s", err, out)
			}
			checkResolved(t, "stap 5.1", out, ps)
			if testing.Short() {
				return
			}
			if out, err := stapRun(t, res.Env, stap51, "-r", lab.Release(), "-p4", f); err != nil {
				t.Fatalf("stap 5.1 -p4: %v\n%s", err, out)
			}
			if out, err := stapRun(t, res.Env, stap, "-r", tree, "-p4", "--runtime=bpf", f); err != nil {
				t.Fatalf("stap 4.8 -p4 --runtime=bpf: %v\n%s", err, out)
			}
		})
	}
	t.Run("without-debug-file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "s.stp")
		os.WriteFile(f, []byte(fmt.Sprintf("probe process(%s).function(\"main.Str\") { printf(\"x\\n\") }\n", stapQuote(fix))), 0o644)
		out, err := stapRun(t, "SYSTEMTAP_DEBUGINFO_PATH="+DefaultDebuginfoPath, stap, "-r", tree, "-p2", "--runtime=bpf", f)
		if err == nil || !strings.Contains(string(out), "No DWARF information found") {
			t.Fatalf("stap 4.8 accepted a stripped binary without the debug file (err %v):\n%s", err, out)
		}
	})
}
