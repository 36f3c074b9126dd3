package command

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestBPFSeveralStrings: main.Mount's four string parameters and its flags
// print with default fields on the host's BPF runtime (one handler per
// string, one record between them), each as the program passed it, and
// --strlen bounds every string.
func TestBPFSeveralStrings(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	for _, strlen := range []int{0, 5} {
		t.Run(fmt.Sprintf("strlen=%d", strlen), func(t *testing.T) {
			args := []string{"run", "--stap", host, "--runtime", "bpf", "-c", bin, "--format", "json"}
			if strlen > 0 {
				args = append(args, "--strlen", fmt.Sprint(strlen))
			}
			out, errs, code := stapgen(t, append(args, bin, "main.Mount")...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errs)
			}
			calls := said(t, errs, "CALL")["main.Mount"]
			evs := exactEvents(t, out)
			if len(calls) != 1 || len(evs) < 1 {
				t.Fatalf("%d calls, %d events\n%s\n%s", len(calls), len(evs), out, errs)
			}
			for _, k := range []string{"source", "target", "fstype", "flags", "data"} {
				want := calls[0][k]
				if strlen > 0 && len(want) > strlen && k != "flags" {
					want = want[:strlen]
				}
				if got := val(evs[0], k); got != want {
					t.Errorf("%s = %q, the program passed %q (--strlen %d)", k, got, calls[0][k], strlen)
				}
			}
		})
	}
}

// TestBPFSlices: a []int prints its elements on the host's BPF runtime as
// the program printed them, and its length and capacity.
func TestBPFSlices(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin, "--format", "json", bin, "main.Ints")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	ints := callLine(t, errs, "main.Ints")
	evs := exactEvents(t, out)
	if len(evs) < 1 {
		t.Fatalf("no event\n%s", out)
	}
	f := jsonEvent(evs[0]).field("xs")
	if got, want := val(evs[0], "xs"), between(ints, "xs=", " len="); got != want {
		t.Errorf("xs = %s, the program printed %s", got, want)
	}
	if got, want := fmt.Sprintf("len=%v cap=%v", f["len"], f["cap"]), between(ints, " len=", " cap=")+" cap="+between(ints, " cap=", ""); got != "len="+want {
		t.Errorf("xs %s, the program printed len=%s", got, want)
	}
}

// TestBPFOneRecordPerCall: main.Recurse's deep recursion grows its stack
// again and again, and each growth runs the function from its entry a
// second time; on the BPF runtime every call still gives exactly one
// record (the runtime's restart records drop the repeats). The count is
// the program's own.
func TestBPFOneRecordPerCall(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin+" -loops 0 -deep 1", "--format", "json", bin, "main.Recurse")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var want int
	if _, err := fmt.Sscanf(errs[strings.Index(errs, "CALLS main.Recurse "):], "CALLS main.Recurse %d", &want); err != nil {
		t.Fatalf("the program printed no count: %v\n%s", err, errs)
	}
	evs := exactEvents(t, out)
	seen := map[string]int{}
	for _, e := range evs {
		seen[val(e, "n")]++
	}
	if len(evs) != want || len(seen) != want {
		t.Errorf("%d records of %d distinct n for %d calls", len(evs), len(seen), want)
	}
}
