package command

import (
	"fmt"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// checkCStrings compares each traced C string with the bytes sfix printed
// for that call: exact bytes (framing bytes, newlines, quotes, non-UTF-8,
// a record's magic), a NULL pointer marked missing, a string over bound
// cut there and marked truncated, and, where edge is set (sfix edges),
// the bytes before an unmapped page (10, 1, the bound and one past it,
// cut at the bound) marked truncated.
func checkCStrings(t *testing.T, out, errs string, bound int, edge bool) {
	t.Helper()
	calls := said(t, errs, "CALL")
	evs := parseEvents(t, out)
	byFn := map[string][]jsonEvent{}
	for _, e := range evs {
		byFn[e.str("probe")] = append(byFn[e.str("probe")], e)
	}
	takes := byFn["take"]
	if len(calls["take"]) != 16 || len(takes) != len(calls["take"]) {
		t.Fatalf("%d take events for %d calls\n%s\n%s", len(takes), len(calls["take"]), out, errs)
	}
	for i, c := range calls["take"] {
		checkCString(t, takes[i], c, "s", bound)
		if n := takes[i].num(t, "n"); n != int64(i) {
			t.Errorf("call %d: n = %d", i, n)
		}
	}
	if !edge {
		return
	}
	peeks := byFn["peek"]
	if len(peeks) != 4 || len(calls["peek"]) != len(peeks) {
		t.Fatalf("%d peek events for %d calls\n%s", len(peeks), len(calls["peek"]), out)
	}
	for i, c := range calls["peek"] {
		want := c["s"][:min(len(c["s"]), bound)]
		if got, trunc := peeks[i].text(t, "s"); got != want || !trunc {
			t.Errorf("edge: s = %q (truncated=%v), want %q truncated (the program passed %d bytes before an unmapped page)", got, trunc, want, len(c["s"]))
		}
	}
}

// checkCString compares e's C string k with what the program printed
// for that call (c[k]).
func checkCString(t *testing.T, e jsonEvent, c map[string]string, k string, bound int) {
	t.Helper()
	if c[k] == "null" {
		if m, _ := e.field(k)["missing"].(bool); !m {
			t.Errorf("call n=%s: NULL %s = %v, want missing", c["n"], k, e.field(k))
		}
		return
	}
	got, trunc := e.text(t, k)
	want, wantTrunc := c[k], false
	if len(want) >= bound {
		want, wantTrunc = want[:bound], len(want) > bound
	}
	// Exact at the bound too: the read takes one byte more, so a string
	// exactly the bound long is whole (sfix passes strings of the bound
	// and one byte either side of it).
	if got != want || trunc != wantTrunc {
		t.Errorf("call n=%s: %s = %q (truncated=%v), the program passed %q (%d bytes, bound %d)", c["n"], k, got, trunc, c[k], len(c[k]), bound)
	}
}

// TestCStringPairsOnHostBPF: two C strings of one call, every length
// and kind sfix passes, each against the program's bytes. The second
// prints from a handler of its own, without the record head, where
// stapbpf 4.8 overwrote bytes 56-63 of a string printed first in its
// handler (templates/bpf.stp.tmpl "print"; main printed 57 bytes ending
// 0x07 there). The calls come from a thread of sfix's own, whose pid and
// tid the record must carry.
func TestCStringPairsOnHostBPF(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.CProgram(t, "sfix", testenv.CO2)
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin, "--format", "json", bin, "pair")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	calls := said(t, errs, "CALL")["pair"]
	evs := parseEvents(t, out)
	if len(calls) != 16 || len(evs) != len(calls) {
		t.Fatalf("%d events for %d calls\n%s\n%s", len(evs), len(calls), out, errs)
	}
	for i, c := range calls {
		checkCString(t, evs[i], c, "s", 62)
		checkCString(t, evs[i], c, "t", 62)
		if n := evs[i].num(t, "n"); fmt.Sprint(n) != c["n"] {
			t.Errorf("call %d: n = %d, the program passed %s", i, n, c["n"])
		}
		// The head prints pid<<32|tid as one number: the thread's own.
		for _, k := range []string{"pid", "tid"} {
			if v, _ := evs[i][k].(float64); fmt.Sprint(int64(v)) != c[k] {
				t.Errorf("call %d: %s = %v, the program's is %s", i, k, evs[i][k], c[k])
			}
		}
	}
}

// TestCStringBytesInVM: the kernel runtime (one bulk read printed raw,
// or counted byte by byte where it faults) gives every byte of a C string
// as the program had it. The record is one printf: a NULL pointer and the
// unreadable edge fault its string read after the head's arguments, and
// nothing of it prints (else the record would hold two heads and not
// decode); the catch prints the record again value by value, "!" and the
// bytes counted.
func TestCStringBytesInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.CProgram(t, "sfix", testenv.CO2)
	out, errs, code := stapgen(t, "run", "--stap", vm, "-c", bin+" edges", "--format", "json", bin, "take", "peek")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	checkCStrings(t, out, errs, 128, true)
}

// TestCStringBytesOnHostBPF: the same under the BPF runtime, which reads a
// C string with one kernel_string_n, 62 bytes shown at most (its 64-byte
// buffer keeps the NUL and the byte that tells a string of 62 whole), and
// prints it raw (event/rawstr.go); the unreadable edge would end its run,
// so it is not passed.
func TestCStringBytesOnHostBPF(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.CProgram(t, "sfix", testenv.CO2)
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin, "--format", "json", bin, "take")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	checkCStrings(t, out, errs, 62, false)
}
