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

// TestBPFGoStringBytes: on the host's BPF runtime a Go string prints raw
// from one read when it holds no NUL and has at most 63 bytes (56-63 too:
// stapbpf 4.8 overwrote them in a handler's first print until print.above
// went above it), and from its words otherwise (templates/bpf.stp.tmpl,
// bytes.scan; event/rawgo.go).
// Either way every byte the program passed comes back (NULs anywhere,
// 0x1c-0x1f, newlines, a record's magic, bytes that are not UTF-8), with
// its length, up to the bound (64 bytes, or --strlen) and marked truncated
// past it. In a PIE too, whose entries the runtime restarts are dropped
// by their saved PC less the load bias (plan.Linked).
func TestBPFGoStringBytes(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	for _, c := range []struct {
		v      testenv.GoVariant
		strlen int
	}{{testenv.GoDefault, 0}, {testenv.GoDefault, 9}, {testenv.GoPIE, 0}} {
		bin, strlen := testenv.GoFixture(t, c.v), c.strlen
		t.Run(fmt.Sprintf("%s/strlen=%d", c.v, strlen), func(t *testing.T) {
			runStrCalls(t, []string{"--stap", host, "--runtime", "bpf"}, bin, strlen, 64, rawOnBPF)
		})
	}
}

// runStrCalls runs gofix -strs (bin) under stapgen run with the flags given
// (the stap, the runtime) at --strlen strlen, or the runtime's bound when
// 0, and checks what main.Str was passed against its events
// (checkStrCalls).
func runStrCalls(t *testing.T, flags []string, bin string, strlen, bound int, rawOn func(full string, bound int) bool) {
	t.Helper()
	raw := filepath.Join(t.TempDir(), "raw")
	args := append(append([]string{"run"}, flags...), "-c", bin+" -strs", "--format", "json", "--save", raw)
	if strlen > 0 {
		args, bound = append(args, "--strlen", fmt.Sprint(strlen)), strlen
	}
	out, errs, code := stapgen(t, append(args, bin, "main.Str")...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	checkStrCalls(t, out, errs, raw, bound, rawOn)
}

// checkStrCalls: one event per main.Str call the program printed, each
// with the string it passed (up to bound, marked truncated past it) and
// its length; and in stap's raw output saved in file raw, the strings
// printed raw (0x1d "g:" BOUND ":" LEN ":", LEN not negative) are those
// rawOn says the runtime prints raw, by their lengths.
func checkStrCalls(t *testing.T, out, errs, raw string, bound int, rawOn func(full string, bound int) bool) {
	t.Helper()
	calls := said(t, errs, "CALL")["main.Str"]
	evs := parseEvents(t, out)
	if len(calls) < 20 || len(evs) != len(calls) {
		t.Fatalf("%d events for %d calls\n%s\n%s", len(evs), len(calls), out, errs)
	}
	// A goroutine that moves to another CPU has its records read
	// from another perf buffer: time orders them.
	sort.SliceStable(evs, func(i, j int) bool { return evs[i]["time_ns"].(float64) < evs[j]["time_ns"].(float64) })
	for i, c := range calls {
		full := c["s"]
		got, trunc := evs[i].text(t, "s")
		want := full[:min(len(full), bound)]
		if got != want || trunc != (len(full) > bound) {
			t.Errorf("call %d: s = %q (truncated=%v), the program passed %q (%d bytes, bound %d)", i, got, trunc, full, len(full), bound)
		}
		if n, _ := evs[i].field("s")["len"].(float64); int(n) != len(full) {
			t.Errorf("call %d: len = %v, the program passed %d bytes", i, evs[i].field("s")["len"], len(full))
		}
	}
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]int{} // length -> calls whose string should print raw
	for _, c := range calls {
		if full := c["s"]; rawOn(full, bound) {
			want[len(full)]++
		}
	}
	got := map[int]int{}
	for _, m := range rawGoRE.FindAllSubmatch(b, -1) {
		if n, err := strconv.Atoi(string(m[1])); err == nil {
			got[n]++
		}
	}
	// A restarted entry prints its record twice (the decoder drops one):
	// a length may come more often than its calls, never less.
	for n, k := range want {
		if got[n] < k {
			t.Errorf("%d raw strings of %d bytes in stap's output, for %d calls passing one without a NUL", got[n], n, k)
		}
	}
	for n := range got {
		if want[n] == 0 {
			t.Errorf("a raw string of %d bytes in stap's output, and no call passed one that should print raw", n)
		}
	}
}

// rawOnBPF: stapbpf's one read of a string stops at a NUL, and holds 63
// bytes: a string without a NUL in the bytes it shows (at most 64) and with
// at most 63 of them prints raw, the others as words.
func rawOnBPF(full string, bound int) bool {
	m := min(len(full), bound, 64)
	return m <= 63 && !strings.Contains(full[:m], "\x00")
}

// rawGoRE is a Go string printed raw (event/rawgo.go): its length.
var rawGoRE = regexp.MustCompile("\x1dg:[0-9]+:([0-9]+):")

// TestBPFGoStringUntouchedPage: a Go string in a page the program has not
// touched (stapbpf cannot fault it in; its NUL scan reads the words as 0)
// never prints as bytes the program did not have: its words are read with
// user_uint64, whose fault ends the run and says so, as the word prints
// always did. The string before it prints as the program passed it.
func TestBPFGoStringUntouchedPage(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin+" -untouched", "--format", "json", bin, "main.Str")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	calls := said(t, errs, "CALL")["main.Str"]
	if len(calls) != 3 {
		t.Fatalf("%d calls\n%s", len(calls), errs)
	}
	var strs []jsonEvent
	for _, e := range parseEvents(t, out) {
		if e.str("probe") == "main.Str" {
			strs = append(strs, e)
		}
	}
	// parseEvents leaves out the raw lines, where stapbpf's error is.
	fault := strings.Contains(out, "user copy fault") || strings.Contains(errs, "user copy fault")
	if len(strs) == 0 {
		t.Fatalf("no event\n%s", out)
	}
	for i, e := range strs {
		got, _ := e.text(t, "s")
		if missing, _ := e.field("s")["missing"].(bool); i == 1 && missing {
			continue
		}
		if got != calls[i]["s"] {
			t.Errorf("call %d: s = %q, the program passed %q", i, got, calls[i]["s"])
		}
	}
	if len(strs) < 3 && !fault {
		t.Errorf("%d of 3 calls printed, and the run did not say why\n%s\n%s", len(strs), out, errs)
	}
}
