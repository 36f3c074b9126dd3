package command

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// ffixCall is one call the filter fixture printed: its arguments and ret.
type ffixCall map[string]string

func (c ffixCall) n(name string) int64 {
	v, err := strconv.ParseInt(c[name], 10, 64)
	if err != nil {
		panic(fmt.Sprintf("fixture printed %s=%q", name, c[name]))
	}
	return v
}

// ffixWant says which calls a site must deliver ("f_open entry",
// "f_open return"); a site of the run missing here delivers every call.
type ffixWant map[string]func(c ffixCall) bool

const ffixLoops = 40

// runFfix runs the filter fixture under stapgen with args, and compares
// the seq numbers of the events of each function and site with the calls
// the fixture's own lines say satisfy the condition.
func runFfix(t *testing.T, v testenv.CVariant, sites []string, want ffixWant, args ...string) {
	t.Helper()
	bin := testenv.CProgram(t, "ffix", v)
	full := append([]string{"run", "-c", fmt.Sprintf("%s %d", bin, ffixLoops), "--format", "json", bin}, args...)
	out, errs, code := stapgen(t, full...)
	if code != 0 {
		t.Fatalf("stapgen %q: exit %d\n%s", full, code, errs)
	}
	calls := said(t, errs, "CALL")
	got := map[string][]string{}
	for _, e := range exactEvents(t, out) {
		site := fmt.Sprintf("%v %v", e["probe"], e["site"])
		got[site] = append(got[site], val(e, "seq"))
	}
	for site := range got {
		if !slices.Contains(sites, site) {
			t.Errorf("events of %s, which the run does not probe", site)
		}
	}
	for _, site := range sites {
		fn, _, _ := strings.Cut(site, " ")
		if len(calls[fn]) != ffixLoops {
			t.Fatalf("the fixture printed %d calls of %s, want %d\n%s", len(calls[fn]), fn, ffixLoops, errs)
		}
		var exp []string
		for _, c := range calls[fn] {
			if w := want[site]; w == nil || w(c) {
				exp = append(exp, c["seq"])
			}
		}
		if len(exp) == 0 || len(exp) == ffixLoops && want[site] != nil {
			t.Fatalf("%s: the condition keeps %d of %d calls: it tells nothing", site, len(exp), ffixLoops)
		}
		if strings.Join(got[site], " ") != strings.Join(exp, " ") {
			t.Errorf("%s: events of calls %v\nwant the calls %v (the fixture's lines that satisfy the condition)", site, got[site], exp)
		}
	}
}

// TestFiltersOnHostBPF: each filter form on real uprobes (stap 4.8's BPF
// runtime) delivers exactly the calls that satisfy it, by the fixture's
// own account of its arguments and results.
func TestFiltersOnHostBPF(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bpf := []string{"--stap", host, "--runtime", "bpf", "--fields", "seq"}
	for _, tc := range []struct {
		name  string
		sites []string
		want  ffixWant
		args  []string
	}{
		{"or, mask and per function", []string{"f_open entry", "f_size entry"}, ffixWant{
			"f_open entry": func(c ffixCall) bool { return c.n("flags")&0x40 != 0 || c.n("mode") > 10 },
			"f_size entry": func(c ffixCall) bool { return c.n("n") < 0 || c.n("unit") == 3 },
		}, []string{"--where", "f_open { (flags & 0x40) != 0 || mode > 10 }", "--where", "f_size { n < 0 || unit == 3 }", "f_open", "f_size"}},
		{"not and parentheses", []string{"f_open entry", "f_size entry", "f_find entry"}, ffixWant{
			"f_open entry": func(c ffixCall) bool { return c.n("flags")&1 == 0 && (c.n("mode") < 3 || c.n("mode") > 9) },
			"f_size entry": func(c ffixCall) bool { return !(c.n("n") > 0 && c.n("unit") > 1) },
			"f_find entry": func(c ffixCall) bool { return c.n("key") == 0 || c.n("key") > 30 },
		}, []string{"--where", "f_open { !(flags & 1) && (mode < 3 || mode > 9) }", "--where", "f_size{!(n > 0 && unit > 1)}",
			"--where", "f_find { !key || key > 30 }", "f_open", "f_size", "f_find"}},
		{"mask compared", []string{"f_open entry"}, ffixWant{
			"f_open entry": func(c ffixCall) bool { return c.n("flags")&3 == 2 || c.n("flags")&0x200 != 0 },
		}, []string{"--where", "(flags & 0x3) == 2 || flags & 0x200", "f_open"}},
		{"return values", []string{"f_open return", "f_find return"}, ffixWant{
			"f_open return": func(c ffixCall) bool { return c.n("ret") < 0 },
			"f_find return": func(c ffixCall) bool { return c.n("id") != 0 },
		}, []string{"--entry=false", "--return", "--where", "f_open { return < 0 }", "--where", "f_find { return->id != 0 }", "f_open", "f_find"}},
		// A NULL result's member is no 0 (its read would be): the filter
		// is false there, as on the kernel runtime, whose read faults.
		{"behind a NULL pointer", []string{"f_find return"}, ffixWant{
			"f_find return": func(c ffixCall) bool { return c["ret"] != "null" && c.n("id") == 0 },
		}, []string{"--entry=false", "--return", "--where", "f_find { return->id == 0 }", "f_find"}},
		{"not behind a NULL pointer", []string{"f_find return"}, ffixWant{
			"f_find return": func(c ffixCall) bool { return c["ret"] != "null" && c.n("id") != 7 },
		}, []string{"--entry=false", "--return", "--where", "f_find { !(return->id == 7) }", "f_find"}},
		{"entry and return", []string{"f_open entry", "f_open return"}, ffixWant{
			"f_open entry":  func(c ffixCall) bool { return c.n("flags")&1 != 0 },
			"f_open return": func(c ffixCall) bool { return c.n("flags")&1 != 0 && (c.n("ret") < 0 || c.n("mode") == 0) },
		}, []string{"--return", "--where", "flags & 1", "--where", "return < 0 || mode == 0", "f_open"}},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			runFfix(t, testenv.CO2, tc.sites, tc.want, append(slices.Clone(bpf), tc.args...)...)
		})
	}
}

// TestFilterOnMissingParameter: a filter on every function, naming a
// parameter one of them lacks, is refused before stap runs, naming that
// function, what it has, and the per-function form.
func TestFilterOnMissingParameter(t *testing.T) {
	bin := testenv.CProgram(t, "ffix", testenv.CO2)
	_, errs, code := stapgen(t, "gen", bin, "f_open", "f_size", "--where", "flags & 1")
	if code != ExitRefused {
		t.Fatalf("exit %d, want %d\n%s", code, ExitRefused, errs)
	}
	for _, want := range []string{`f_size has no parameter or result "flags"`, "it has seq, n, unit", "--where 'FUNCTION { CONDITION }'"} {
		if !strings.Contains(errs, want) {
			t.Errorf("message lacks %q:\n%s", want, errs)
		}
	}
	if _, errs, code := stapgen(t, "gen", bin, "f_open", "f_size", "--where", "f_open { flags & 1 }"); code != 0 {
		t.Errorf("the per-function form: exit %d\n%s", code, errs)
	}
}

// ffixProbeFile filters strings, bits and results per function, in a
// probe file's where lines.
const ffixProbeFile = `probe f_open entry return seq
probe f_find return seq
where f_open { path != "/etc/a" && !(flags & 0x200) }
where f_open { return < 0 || path == "/tmp/c d" }
where f_find { !(key & 1) || return->name == "seven" }
`

// TestFiltersInVM: string and return filters on the kernel runtime (stap
// 5.1 in the lab VM), from a probe file: a string parameter at the entry
// and, as its entry value, at the return; a string member of the result.
func TestFiltersInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	pf := writeProbeFile(t, ffixProbeFile)
	opened := func(c ffixCall) bool { return c["path"] != "/etc/a" && c.n("flags")&0x200 == 0 }
	runFfix(t, testenv.CO2, []string{"f_open entry", "f_open return", "f_find return"}, ffixWant{
		"f_open entry":  opened,
		"f_open return": func(c ffixCall) bool { return opened(c) && (c.n("ret") < 0 || c["path"] == "/tmp/c d") },
		"f_find return": func(c ffixCall) bool { return c.n("key")&1 == 0 || c["name"] == "seven" },
	}, "--stap", vm, "--probe-file", pf)
}

// TestGoFiltersInVM: a Go function's filters on the kernel runtime: a
// string and a length at the entry, whose mark its RET checks, and its
// result (by name and as return) at the RET. Expected: the fixture's
// CALL and RET lines of main.Str, paired in call order.
func TestGoFiltersInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	out, errs, code := stapgen(t, "run", "--stap", vm, "--stap-version", "5.1", "-c", bin, "--format", "json", bin, "main.Str", "--return",
		"--where", `s.len > 4 && !(s == "hello")`, "--where", "return < 10 || ~r0 == 300")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	calls, rets := said(t, errs, "CALL")["main.Str"], said(t, errs, "RET")["main.Str"]
	if len(calls) != 7 || len(rets) != 7 {
		t.Fatalf("the fixture printed %d calls and %d returns of main.Str, want 7\n%s", len(calls), len(rets), errs)
	}
	var wantS, wantR []string
	for i, c := range calls {
		if len(c["s"]) > 4 && c["s"] != "hello" {
			wantS = append(wantS, c["s"])
			if r, _ := strconv.Atoi(rets[i]["~r0"]); r < 10 || r == 300 {
				wantR = append(wantR, rets[i]["~r0"])
			}
		}
	}
	var gotS, gotR []string
	for _, e := range exactEvents(t, out) {
		if e["site"] == "return" {
			gotR = append(gotR, val(e, "~r0"))
		} else {
			gotS = append(gotS, val(e, "s"))
		}
	}
	if len(gotS) != len(wantS) {
		t.Fatalf("entries %q, want %q", gotS, wantS)
	}
	for i := range gotS {
		// A string past --strlen is cut: its start is what was passed.
		if !strings.HasPrefix(wantS[i], gotS[i]) || len(gotS[i]) < min(len(wantS[i]), 100) {
			t.Errorf("entry %d: s = %q, want %q", i, gotS[i], wantS[i])
		}
	}
	if strings.Join(gotR, " ") != strings.Join(wantR, " ") {
		t.Errorf("returns %v, want %v (the fixture's RET lines of the calls that pass)", gotR, wantR)
	}
}
