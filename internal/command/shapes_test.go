package command

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// The probe shapes the format goldens of internal/script cover, each run
// for real in the lab and checked against what the traced program printed.

// exactEvents parses JSON events keeping numbers exact (uint64 values
// above 2^53 do not survive float64).
func exactEvents(t *testing.T, out string) []map[string]any {
	t.Helper()
	var evs []map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	for dec.More() {
		var e map[string]any
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("bad JSON: %v\n%s", err, out)
		}
		if _, raw := e["raw"]; !raw {
			evs = append(evs, e)
		}
	}
	return evs
}

// val is an event field's value in the fixture's own %v/%d spelling.
func val(e map[string]any, name string) string {
	f, ok := jsonEvent(e).field(name)["value"]
	if !ok {
		return fmt.Sprintf("<no field %s in %v>", name, e)
	}
	switch v := f.(type) {
	case []any:
		var parts []string
		for _, x := range v {
			parts = append(parts, fmt.Sprint(x))
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprint(f)
}

// quotedList reads a Go %q-printed []string ("[\"a\" \"b c\"]").
func quotedList(t *testing.T, s string) []string {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	var out []string
	for s != "" {
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		u, _ := strconv.Unquote(q)
		out = append(out, u)
		s = strings.TrimPrefix(s[len(q):], " ")
	}
	return out
}

// callLine is the text after "CALL FN " of the fixture's first such line.
func callLine(t *testing.T, stderr, fn string) string {
	for _, l := range strings.Split(stderr, "\n") {
		if rest, ok := strings.CutPrefix(l, "CALL "+fn+" "); ok {
			return rest
		}
	}
	t.Fatalf("the fixture printed no CALL %s", fn)
	return ""
}

func between(s, from, to string) string {
	_, s, _ = strings.Cut(s, from)
	if to != "" {
		s, _, _ = strings.Cut(s, to)
	}
	return s
}

func writeProbeFile(t *testing.T, text string) string {
	f := filepath.Join(t.TempDir(), "shapes.probe")
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestGoShapesInVM: slices of strings and integers, narrow registers,
// map and channel lengths, arrays, a struct passed by value and member
// paths through a pointer (kernel runtime, stap 5.1, the lab's kernel).
func TestGoShapesInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	pf := writeProbeFile(t, `probe main.Strs
probe main.Ints
probe main.Small
probe main.Map
probe main.Chan
probe main.Array
probe main.ByValue
probe main.Ptr o.Name o.Flags o.Mode
`)
	out, errs, code := stapgen(t, "run", "--stap", vm, "--stap-version", "5.1", "-c", bin, "--format", "json", "--probe-file", pf, bin)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	byFn := map[string]map[string]any{}
	for _, e := range exactEvents(t, out) {
		byFn[fmt.Sprint(e["probe"])] = e
	}
	check := func(fn, field, want string) {
		t.Helper()
		e := byFn[fn]
		if e == nil {
			t.Errorf("no %s event\n%s", fn, out)
			return
		}
		if got := val(e, field); got != want {
			t.Errorf("%s %s = %s, want %s (the program printed it)", fn, field, got, want)
		}
	}
	strs := callLine(t, errs, "main.Strs")
	check("main.Strs", "xs", fmt.Sprint(quotedList(t, between(strs, "xs=", " len="))))
	ints := callLine(t, errs, "main.Ints")
	check("main.Ints", "xs", between(ints, "xs=", " len="))
	small := said(t, errs, "CALL")["main.Small"][0]
	for _, k := range []string{"b", "u8", "i16", "u64", "i8"} {
		check("main.Small", k, small[k])
	}
	if e := byFn["main.Map"]; e == nil || fmt.Sprint(jsonEvent(e).field("m")["len"]) != said(t, errs, "CALL")["main.Map"][0]["len"] {
		t.Errorf("main.Map m: %v, the program's len %s", e, said(t, errs, "CALL")["main.Map"][0]["len"])
	}
	check("main.Chan", "len(c)", said(t, errs, "CALL")["main.Chan"][0]["len"])
	arr := callLine(t, errs, "main.Array")
	check("main.Array", "a", between(arr, "a=", " k="))
	check("main.Array", "k", between(arr, " k=", ""))
	bv := callLine(t, errs, "main.ByValue")
	name, _ := strconv.Unquote(between(bv, "o.Name=", " o.Flags="))
	check("main.ByValue", "o.Name", name)
	check("main.ByValue", "o.Flags", fmt.Sprint(quotedList(t, between(bv, "o.Flags=", " o.Mode="))))
	check("main.ByValue", "o.Mode", between(bv, "o.Mode=", ""))
	ptr := said(t, errs, "CALL")["main.Ptr"][0]
	check("main.Ptr", "o.Name", ptr["o.Name"])
	check("main.Ptr", "o.Mode", ptr["o.Mode"])
	check("main.Ptr", "o.Flags", fmt.Sprint(quotedList(t, between(bv, "o.Flags=", " o.Mode="))))
}

// TestGoFilterInVM: a string filter and a numeric one on member paths, a
// process filter and --max-events: of three loops' calls exactly one event.
func TestGoFilterInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	out, errs, code := stapgen(t, "run", "--stap", vm, "--stap-version", "5.1", "-c", bin+" -loops 3", "--format", "json",
		"--process", filepath.Base(bin), "--max-events", "1", bin, "main.Ptr", "--fields", "o.Name,o.Mode",
		"--where", `o.Name == "opt name"`, "--where", "o.Mode == 493")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	calls := said(t, errs, "CALL")["main.Ptr"]
	if len(calls) != 3 || calls[0]["o.Name"] != "opt name" || calls[0]["o.Mode"] != "493" {
		t.Fatalf("the fixture's main.Ptr calls changed: %v", calls)
	}
	evs := exactEvents(t, out)
	if len(evs) != 1 || val(evs[0], "o.Name") != "opt name" || val(evs[0], "o.Mode") != "493" {
		t.Errorf("want exactly one matching event, got %v", evs)
	}
	// A filter no call meets gives no event.
	out, errs, code = stapgen(t, "run", "--stap", vm, "--stap-version", "5.1", "-c", bin, "--format", "json",
		bin, "main.Ptr", "--fields", "o.Mode", "--where", `o.Name != "opt name"`)
	if code != 0 || len(exactEvents(t, out)) != 0 {
		t.Errorf("exit %d, events %s\n%s", code, out, errs)
	}
}

var walkRE = regexp.MustCompile(`CALL walk name="(.*)" x=(-?\d+) y=`)

var greetRE = regexp.MustCompile(`(?s)CALL greet who="(.*?)" n=(\d+)\n`)

// TestCShapesInVM: C strings, member paths through pointers, a struct by
// value, a C return value and user backtraces.
func TestCShapesInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.CFixture(t, testenv.CO0)
	pf := writeProbeFile(t, `probe greet entry return
probe walk n->name n->pt.x n->next
probe by_value
backtrace user
`)
	out, errs, code := stapgen(t, "run", "--stap", vm, "-c", bin, "--format", "json", "--probe-file", pf, bin)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	// greet's who may hold a newline, which splits the fixture's line.
	var greetCalls []map[string]string
	for _, m := range greetRE.FindAllStringSubmatch(errs, -1) {
		greetCalls = append(greetCalls, map[string]string{"who": m[1], "n": m[2]})
	}
	calls := said(t, strings.ReplaceAll(errs, "new\nline", "new-line"), "CALL")
	calls["greet"] = greetCalls
	// walk's names hold raw quotes.
	if m := walkRE.FindStringSubmatch(errs); m != nil {
		calls["walk"] = []map[string]string{{"name": m[1], "x": m[2]}}
	}
	var greets, rets []map[string]any
	var walks []map[string]any
	var byv map[string]any
	for _, e := range exactEvents(t, out) {
		switch fmt.Sprint(e["probe"]) + "/" + fmt.Sprint(e["site"]) {
		case "greet/entry":
			greets = append(greets, e)
		case "greet/return":
			rets = append(rets, e)
		case "walk/entry":
			walks = append(walks, e)
		case "by_value/entry":
			byv = e
		}
	}
	if len(greets) != len(calls["greet"]) || len(rets) != len(greets) {
		t.Fatalf("%d greet entries, %d returns for %d calls\n%s", len(greets), len(rets), len(calls["greet"]), out)
	}
	for i, c := range calls["greet"] {
		got := val(greets[i], "who")
		if c["who"] == "(null)" {
			if f := jsonEvent(greets[i]).field("who"); f["missing"] != true {
				t.Errorf("greet(NULL): who = %v, want missing", f)
			}
		} else if got != c["who"] {
			t.Errorf("greet %d: who = %q, want %q", i, got, c["who"])
		}
		if got := val(greets[i], "n"); got != c["n"] {
			t.Errorf("greet %d: n = %s, want %s", i, got, c["n"])
		}
		// greet returns strlen(who), -1 for NULL.
		want := strconv.Itoa(len(c["who"]))
		if c["who"] == "(null)" {
			want = "-1"
		}
		if got := val(rets[i], "return"); got != want {
			t.Errorf("greet %d returned %s, want %s", i, got, want)
		}
		if st := jsonEvent(greets[i]).field("user_stack"); st == nil || len(st["value"].([]any)) < 2 {
			t.Errorf("greet %d: user stack %v", i, st)
		}
	}
	// walk is called once, with the list's head.
	if len(walks) != 1 || val(walks[0], "n.name") != calls["walk"][0]["name"] || val(walks[0], "n.pt.x") != calls["walk"][0]["x"] {
		t.Errorf("walk: %v, want name %q x %s", walks, calls["walk"][0]["name"], calls["walk"][0]["x"])
	} else if next := val(walks[0], "n.next"); next == "0x0" {
		t.Errorf("walk: n->next = %s, the head has a next node", next)
	}
	if byv == nil || val(byv, "p.x") != calls["by_value"][0]["x"] || val(byv, "p.y") != calls["by_value"][0]["y"] {
		t.Errorf("by_value: %v, want %v", byv, calls["by_value"][0])
	}
}

// TestKernelFilterAndStackInVM: a kernel string filter on a member chain
// and kernel backtraces, on the lab's Debian kernel.
func TestKernelFilterAndStackInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	vmlinux := testenv.Vmlinux(t)
	out, errs, code := stapgen(t, "run", "--stap", vm, "--format", "json",
		"-c", "/bin/sh -c 'mkdir /tmp/sg-one && mv /tmp/sg-one \"/tmp/sg two\" && rmdir \"/tmp/sg two\"'",
		vmlinux, "lookup_one_qstr_excl", "--fields", "name->name", "--where", `name->name == "sg two"`, "--backtrace", "kernel")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	evs := exactEvents(t, out)
	ks := readSystemMap(t)
	// mv looks the new name up once and rmdir once (as TestRunKernelInVM
	// sees unfiltered).
	if len(evs) != 2 {
		t.Fatalf("%d events, want the 2 lookups of \"sg two\"\n%s", len(evs), out)
	}
	for _, e := range evs {
		if got := val(e, "name.name"); got != "sg two" {
			t.Errorf("name = %q", got)
		}
		// Every frame named as System.map names its address.
		checkKernelStack(t, jsonEvent(e), "lookup_one_qstr_excl", ks, nil)
	}
}

// TestStapErrorNamesTheFlag: the real stap rejects a script line; the
// hint names the --fields paths that produced that line. n and who share
// one print, and the broken identifier names neither, so both are named.
func TestStapErrorNamesTheFlag(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.CFixture(t, testenv.CO0)
	src, errs, code := stapgen(t, "gen", "--runtime", "bpf", bin, "greet", "--fields", "n,who")
	if code != 0 {
		t.Fatalf("gen: exit %d\n%s", code, errs)
	}
	// Only the line the --fields path n produced is made unresolvable.
	broken := strings.Replace(src, "$n)", "$nosuch)", 1)
	if broken == src {
		t.Fatalf("no $n read in the script:\n%s", src)
	}
	f := filepath.Join(t.TempDir(), "s.stp")
	os.WriteFile(f, []byte(broken), 0o644)
	_, errs, code = stapgen(t, "run", "--stap", host, "--script", f, "-c", bin)
	if code != ExitStap || !strings.Contains(errs, `stap cannot read "nosuch", from --fields n or --fields who;`) {
		t.Errorf("exit %d, want %d and a hint naming --fields n or --fields who:\n%s", code, ExitStap, errs)
	}
}

// TestGoMethodOnHostBPF: a pointer-receiver method is probed by a name stap
// matches (stap 4.8 answers an escaped star with "no match"), and fires
// once per call the program printed.
func TestGoMethodOnHostBPF(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin+" -loops 2", "--format", "json", bin, "main.(*Rect).Area", "main.Rect.Scale")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	n := map[string]int{}
	for _, e := range exactEvents(t, out) {
		n[fmt.Sprint(e["probe"])]++
	}
	calls := said(t, errs, "CALL")
	for _, fn := range []string{"main.(*Rect).Area", "main.Rect.Scale"} {
		if len(calls[fn]) == 0 || n[fn] < len(calls[fn]) {
			t.Errorf("%s: %d events for %d calls\n%s", fn, n[fn], len(calls[fn]), out)
		}
	}
}
