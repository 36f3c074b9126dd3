package command

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// retFuncs are the -rets sequence's functions (fixtures/gofix/rets.go) but
// main.ROpts, whose members bpfReturnThrough reads behind its result.
var retFuncs = []string{"main.RInt", "main.RBool", "main.RSmall", "main.RPtr", "main.RStr", "main.RErr", "main.RMulti", "main.RRect", "main.RFar", "main.RFloat"}

// TestBPFGoReturns: on the host's BPF runtime (stap 4.8) a stripped Go
// binary's returns are probed at its RET instructions, through the
// generated debug file's symbols, and every result is read from its
// register as the program printed it just before returning: integers
// of 1-8 bytes signed and unsigned, bools, pointers (nil too), strings
// up to the 64-byte bound, an error as nil or by its dynamic type, a struct's members,
// several results at once; a float prints "!". Each record carries the
// goroutine id the program printed. With the entry too, a filter on a
// parameter decides both records of a call (the RET checks the entry's
// mark), and the program finishes. In the stripped PIE too.
func TestBPFGoReturns(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	src := filepath.Dir(testenv.GoSource("main.go"))
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the debug file is written, not found from another test
	for _, v := range []testenv.GoVariant{testenv.GoDefault, testenv.GoPIE} {
		t.Run(string(v), func(t *testing.T) {
			bin := testenv.GoFixture(t, testenv.Strip(v))
			t.Run("returns", func(t *testing.T) { bpfReturns(t, host, bin, src) })
			t.Run("entry-filter", func(t *testing.T) { bpfEntryReturns(t, host, bin, src) })
			t.Run("latency-by-param", func(t *testing.T) { bpfLatencyByParam(t, host, bin, src) })
			t.Run("result-filter", func(t *testing.T) { bpfResultFilter(t, host, bin, src) })
			t.Run("fields", func(t *testing.T) { bpfReturnFields(t, host, bin, src) })
			t.Run("through-pointer", func(t *testing.T) { bpfReturnThrough(t, host, bin, src) })
			t.Run("through-nil", func(t *testing.T) { bpfReturnThroughNil(t, host, bin, src) })
		})
	}
}

// TestBPFGoReturnsWithDWARF: stap 5 places address probes in a Go binary
// with DWARF (with -g), on the BPF runtime too: the lab's stap 5.1 run on
// the host's BPF reads every result kind and goroutine id of the fixture's
// -rets sequence as the program printed them.
func TestBPFGoReturnsWithDWARF(t *testing.T) {
	labStap(t, lab.HostBPF)
	stap51 := testenv.Stap51OnHostBPF(t)
	bpfReturns(t, stap51, testenv.GoFixture(t, testenv.GoDefault), filepath.Dir(testenv.GoSource("main.go")))
}

// byTime are the events of one probe and site in out in the order they
// happened (stapbpf delivers each CPU's records in turn), their numbers
// exact.
func byTime(t *testing.T, out, probe, site string) []jsonEvent {
	t.Helper()
	var evs []jsonEvent
	for _, e := range exactEvents(t, out) {
		if e["probe"] == probe && e["site"] == site {
			evs = append(evs, e)
		}
	}
	ns := func(e jsonEvent) int64 {
		n, err := strconv.ParseInt(fmt.Sprint(e["time_ns"]), 10, 64)
		if err != nil {
			t.Fatalf("time_ns %v: %v", e["time_ns"], err)
		}
		return n
	}
	sort.SliceStable(evs, func(i, j int) bool { return ns(evs[i]) < ns(evs[j]) })
	return evs
}

func bpfReturns(t *testing.T, host, bin, src string) {
	out, errs, code := stapgen(t, append([]string{"run", "--stap", host, "--runtime", "bpf", "-c", bin + " -rets 2", "--format", "json",
		"--return", "--entry=false", "--source", src, bin}, retFuncs...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if !strings.Contains(errs, "gofix: done") {
		t.Fatalf("the traced program did not finish:\n%s", errs)
	}
	rets := said(t, errs, "RET")
	for _, fn := range retFuncs {
		got, want := byTime(t, out, fn, "return"), rets[fn]
		if len(got) != len(want) || len(want) < 10 {
			t.Errorf("%s: %d return events for %d returns", fn, len(got), len(want))
			continue
		}
		for i, w := range want {
			checkReturn(t, fn, got[i], w)
		}
	}
}

// checkReturn compares one return event with what the program printed
// for that return (rets.go's spelling of each kind).
func checkReturn(t *testing.T, fn string, e jsonEvent, w map[string]string) {
	t.Helper()
	at := fmt.Sprintf("%s k=%s", fn, w["k"])
	if got := fmt.Sprint(e["goid"]); got != w["goid"] {
		t.Errorf("%s: goid %s, the program printed %s", at, got, w["goid"])
	}
	for name, want := range w {
		if name == "k" || name == "goid" {
			continue
		}
		f := e.field(name)
		if f == nil {
			t.Errorf("%s: no field %s in %v", at, name, e)
			continue
		}
		var got string
		switch {
		case fn == "main.RFloat":
			if m, _ := f["missing"].(bool); !m {
				t.Errorf("%s: %s = %v, want it marked missing (no XMM reads on BPF)", at, name, f)
			}
			continue
		case fn == "main.RPtr":
			p, err := strconv.ParseUint(strings.TrimPrefix(fmt.Sprint(f["value"]), "0x"), 16, 64)
			if err != nil {
				t.Errorf("%s: pointer %v", at, f["value"])
			}
			got, want = fmt.Sprintf("0x%x", p), strings.TrimSpace(want)
		case f["type"] == "error":
			// By its dynamic type, which errors.New's is; its text is
			// behind a pointer, which the BPF runtime does not follow.
			got = fmt.Sprint(f["value"])
			if want != "<nil>" {
				got = fmt.Sprint(f["go_type"])
				want = "*errors.errorString"
			}
		case f["type"] == "string":
			s, _ := e.text(t, name)
			got = s
			if len(want) > 64 {
				want = want[:64] // the BPF runtime's bound
			}
			if n := fmt.Sprint(f["len"]); n != strconv.Itoa(len(w[name])) {
				t.Errorf("%s: %s len %s, the program returned %d bytes", at, name, n, len(w[name]))
			}
		default:
			got = fmt.Sprint(f["value"])
			if elems, ok := f["value"].([]any); ok {
				// An array, as rets.go prints one: [A,B].
				got = strings.ReplaceAll(fmt.Sprint(elems), " ", ",")
			}
		}
		if got != want {
			t.Errorf("%s: %s = %q, the program returned %q", at, name, got, want)
		}
	}
}

// bpfEntryReturns: entries and returns of calls with k > 4 only, each
// pair on the program's goroutine, the return's values as printed.
func bpfEntryReturns(t *testing.T, host, bin, src string) {
	fns := []string{"main.RInt", "main.RStr", "main.RMulti", "main.RErr"}
	out, errs, code := stapgen(t, append([]string{"run", "--stap", host, "--runtime", "bpf", "-c", bin + " -rets 2", "--format", "json",
		"--return", "--where", "k > 4", "--source", src, bin}, fns...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if !strings.Contains(errs, "gofix: done") {
		t.Fatalf("the traced program did not finish:\n%s", errs)
	}
	rets := said(t, errs, "RET")
	for _, fn := range fns {
		var want []map[string]string
		for _, w := range rets[fn] {
			if k, _ := strconv.Atoi(w["k"]); k > 4 {
				want = append(want, w)
			}
		}
		ents, rs := byTime(t, out, fn, "entry"), byTime(t, out, fn, "return")
		if len(ents) != len(want) || len(rs) != len(want) || len(want) == 0 {
			t.Errorf("%s: %d entries and %d returns for %d calls with k > 4\n%s", fn, len(ents), len(rs), len(want), out)
			continue
		}
		for i, w := range want {
			if got := val(ents[i], "k"); got != w["k"] {
				t.Errorf("%s entry %d: k = %s, want %s", fn, i, got, w["k"])
			}
			if fmt.Sprint(ents[i]["goid"]) != w["goid"] {
				t.Errorf("%s k=%s: entry on goroutine %v, the program printed %s", fn, w["k"], ents[i]["goid"], w["goid"])
			}
			checkReturn(t, fn, rs[i], w)
		}
	}
}

// bpfResultFilter: a filter on a result, tested at the RET, keeps the
// returns whose n the program returned below -5, their values as printed.
func bpfResultFilter(t *testing.T, host, bin, src string) {
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin+" -rets 2", "--format", "json",
		"--return", "--entry=false", "--where", "n < -5", "--source", src, bin, "main.RMulti")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var want []map[string]string
	for _, w := range said(t, errs, "RET")["main.RMulti"] {
		if n, _ := strconv.Atoi(w["n"]); n < -5 {
			want = append(want, w)
		}
	}
	got := byTime(t, out, "main.RMulti", "return")
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("%d returns kept, the program returned %d with n < -5\n%s", len(got), len(want), out)
	}
	for i, w := range want {
		checkReturn(t, "main.RMulti", got[i], w)
	}
}

// bpfReturnFields: results named by --fields in either order around a
// string print as the program returned them (an error and a string in
// one handler did not compile).
func bpfReturnFields(t *testing.T, host, bin, src string) {
	for _, fields := range []string{"err,s", "s,err"} {
		out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin+" -rets 0", "--format", "json",
			"--return", "--entry=false", "--fields", fields, "--source", src, bin, "main.RMulti")
		if code != 0 {
			t.Fatalf("--fields %s: exit %d\n%s", fields, code, errs)
		}
		want, got := said(t, errs, "RET")["main.RMulti"], byTime(t, out, "main.RMulti", "return")
		if len(got) != len(want) || len(want) == 0 {
			t.Fatalf("--fields %s: %d returns for %d", fields, len(got), len(want))
		}
		for i, w := range want {
			delete(w, "n")
			checkReturn(t, "main.RMulti", got[i], w)
		}
	}
}

// returnsThrough runs -rets 1 with fn's return.Name and return.Mode (an
// *Opts result's members): what the program said of each return, and the
// return events in the same order.
func returnsThrough(t *testing.T, host, bin, src, fn string) ([]map[string]string, []jsonEvent) {
	t.Helper()
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin+" -rets 1", "--format", "json",
		"--return", "--entry=false", "--fields", "return.Name,return.Mode", "--source", src, bin, fn)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	want, got := said(t, errs, "RET")[fn], byTime(t, out, fn, "return")
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("%d returns for %d\n%s", len(got), len(want), out)
	}
	return want, got
}

// bpfReturnThrough: members behind a returned pointer, a string among
// them, read through @cast words print as the program returned them.
func bpfReturnThrough(t *testing.T, host, bin, src string) {
	want, got := returnsThrough(t, host, bin, src, "main.ROpts")
	for i, w := range want {
		checkReturn(t, "main.ROpts", got[i], w)
	}
}

// bpfReturnThroughNil: the members behind a returned nil pointer are
// marked missing, where their @cast words read 0 (a "" and a 0 before);
// behind the others they are what the program returned.
func bpfReturnThroughNil(t *testing.T, host, bin, src string) {
	want, got := returnsThrough(t, host, bin, src, "main.RPtr")
	nils := 0
	for i, w := range want {
		isNil := w["~r0"] == "0x0" // fmt's %p of a nil pointer
		if isNil {
			nils++
		}
		for _, name := range []string{"return.Name", "return.Mode"} {
			if m := missing(got[i], name); m != isNil {
				t.Errorf("k=%s ~r0=%s: %s missing=%v, want %v\n%v", w["k"], w["~r0"], name, m, isNil, got[i])
			}
		}
		if !isNil && (val(got[i], "return.Name") != "opt"+w["k"] || val(got[i], "return.Mode") != "0") {
			t.Errorf("k=%s: return.Name=%s return.Mode=%s, want opt%s and 0 (fixtures/gofix/rets.go)", w["k"], val(got[i], "return.Name"), val(got[i], "return.Mode"), w["k"])
		}
	}
	if nils == 0 || nils == len(want) {
		t.Fatalf("%d nil results of %d: the run tells nothing", nils, len(want))
	}
}

// bpfLatencyByParam: --aggregate latency --by k times each call from
// its entry to its RET under the key the entry kept for its goroutine:
// one call per k, every k the program returned with.
func bpfLatencyByParam(t *testing.T, host, bin, src string) {
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin+" -rets 3", "--format", "json",
		"--aggregate", "latency", "--by", "k", "--keys", "50", "--source", src, bin, "main.RInt")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	want := map[string]int64{}
	for _, w := range said(t, errs, "RET")["main.RInt"] {
		want[w["k"]]++
	}
	got, _, _ := keyCounts(t, statSnapshots(t, out)[0])
	equalCounts(t, "timed calls per k", got, want)
}

// TestBPFGoReturnsDoNotCrashTheTarget: TestGoReturnsDoNotCrashTheTargetInVM
// on the host's BPF runtime: 50 goroutines each call main.Deep, whose deep
// recursion moves their stacks; the RET probes of the stripped build see
// every return and the program finishes.
func TestBPFGoReturnsDoNotCrashTheTarget(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	bin := testenv.GoFixture(t, testenv.Strip(testenv.GoDefault))
	const n = 50
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", fmt.Sprintf("%s -loops 0 -deep %d", bin, n), "--format", "json",
		"--return", "--entry=false", "--source", filepath.Dir(testenv.GoSource("main.go")), bin, "main.Deep")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if !strings.Contains(errs, "gofix: done") {
		t.Fatalf("the traced program did not finish:\n%s", errs)
	}
	want := said(t, errs, "RET")["main.Deep"]
	got := byTime(t, out, "main.Deep", "return")
	if len(got) != n || len(want) != n {
		t.Fatalf("%d returns seen, the program printed %d of %d calls", len(got), len(want), n)
	}
	for i, e := range got {
		if v := val(e, "~r0"); v != want[i]["~r0"] {
			t.Errorf("return %d: ~r0 = %s, the program returned %s", i, v, want[i]["~r0"])
		}
	}
}

// TestBPFGoErrnoReturns: the error a failing mount(2) gives a stripped
// Go program, returned on the BPF runtime as a syscall.Errno, prints as
// the program's own %v of it, in the PIE too; JSON names the errno. Its
// saved records decode the same later, the types named from the binary
// the records name (a copy, traced where the test can remove it) or from
// --symbols; with the copy gone, the output says why they are unnamed.
func TestBPFGoErrnoReturns(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	for _, v := range []testenv.GoVariant{testenv.Strip(testenv.GoDefault), testenv.Strip(testenv.GoPIE)} {
		t.Run(string(v), func(t *testing.T) {
			b, err := os.ReadFile(testenv.GoFixture(t, v))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			bin, saved := filepath.Join(dir, "gofix"), filepath.Join(dir, "saved")
			if err := os.WriteFile(bin, b, 0o755); err != nil {
				t.Fatal(err)
			}
			out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin+" -loops 3", "--format", "json", "--save", saved,
				"--return", "--entry=false", "--source", filepath.Dir(testenv.GoSource("main.go")), bin, "main.Mount")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errs)
			}
			var want []string
			for _, m := range regexp.MustCompile(`RET main.Mount err=(.*)`).FindAllStringSubmatch(errs, -1) {
				want = append(want, m[1])
			}
			got := byTime(t, out, "main.Mount", "return")
			if len(got) != len(want) || len(want) != 3 {
				t.Fatalf("%d returns for the program's %d\n%s", len(got), len(want), errs)
			}
			for i, e := range got {
				f := e.field("~r0")
				if fmt.Sprint(f["value"]) != want[i] || f["go_type"] != "syscall.Errno" || f["errno"] == nil {
					t.Errorf("return %d: %v, the program's error was %q", i, f, want[i])
				}
			}
			// A script written by gen, run later, names them too.
			script := filepath.Join(dir, "mount.stp")
			if _, errs, code := stapgen(t, "gen", "-o", script, "--runtime", "bpf", "--return", "--entry=false", "--source", filepath.Dir(testenv.GoSource("main.go")), bin, "main.Mount"); code != 0 {
				t.Fatalf("gen: exit %d\n%s", code, errs)
			}
			if out, errs, code := stapgen(t, "run", "--stap", host, "--script", script, "-c", bin+" -loops 1"); code != 0 || !strings.Contains(out, "~r0="+want[0]) {
				t.Errorf("run --script (exit %d):\n%s%s", code, out, errs)
			}
			recorded, _, code := stapgen(t, "decode", saved)
			orig := testenv.GoFixture(t, v)
			if err := os.Remove(bin); err != nil {
				t.Fatal(err)
			}
			named, _, code2 := stapgen(t, "decode", "--symbols", orig, saved)
			unnamed, note, code3 := stapgen(t, "decode", saved)
			if code != 0 || code2 != 0 || code3 != 0 || strings.Count(recorded, "~r0="+want[0]) != 3 || strings.Count(named, "~r0="+want[0]) != 3 ||
				!strings.Contains(unnamed, "~r0=<? 0x") || !strings.Contains(note, bin+", which cannot be read here") || !strings.Contains(note, "--symbols") {
				t.Errorf("decode (%d, %d, %d):\n%s\nwith --symbols:\n%s\nthe binary gone:\n%s%s", code, code2, code3, recorded, named, unnamed, note)
			}
		})
	}
}

// TestBPFGoReturnsInDebianRunc: Debian's runc (Go 1.19, PIE, externally
// linked, stripped, no .symtab) traced at strings.TrimSpace and
// os.Getenv while it prints its help: every return is the entry's value
// as Go's own strings.TrimSpace, or the environment's value, computes it,
// on the entry's goroutine.
func TestBPFGoReturnsInDebianRunc(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	runc := testenv.Corpus(t, "runc", "usr/sbin/runc")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", runc+" --help", "--format", "json", "--return",
		runc, "strings.TrimSpace", "os.Getenv")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	checked := 0
	for _, fn := range []string{"strings.TrimSpace", "os.Getenv"} {
		ents, rets := byTime(t, out, fn, "entry"), byTime(t, out, fn, "return")
		if len(ents) != len(rets) || len(ents) == 0 {
			t.Fatalf("%s: %d entries, %d returns\n%s", fn, len(ents), len(rets), out)
		}
		for i, e := range ents {
			name := map[string]string{"strings.TrimSpace": "s", "os.Getenv": "key"}[fn]
			in, cut := e.text(t, name)
			if cut || fmt.Sprint(e.field(name)["len"]) != strconv.Itoa(len(in)) {
				continue // longer than the BPF runtime's 64 bytes
			}
			want := strings.TrimSpace(in)
			if fn == "os.Getenv" {
				want = os.Getenv(in)
			}
			got, _ := rets[i].text(t, "~r0")
			if got != want || fmt.Sprint(rets[i].field("~r0")["len"]) != strconv.Itoa(len(want)) {
				t.Errorf("%s(%q) returned %q (len %v), want %q", fn, in, got, rets[i].field("~r0")["len"], want)
			}
			if e["goid"] != rets[i]["goid"] {
				t.Errorf("%s(%q): entry on goroutine %v, return on %v", fn, in, e["goid"], rets[i]["goid"])
			}
			checked++
		}
	}
	t.Logf("%d calls checked", checked)
	if checked < 10 {
		t.Errorf("only %d calls checked\n%s", checked, out)
	}
}
