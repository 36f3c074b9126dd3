package command

import (
	"fmt"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestBPFGoroutineIDs: on the host's BPF runtime a Go record carries its
// goroutine id, read where the kernel runtime reads it (the g that R14
// holds at a Go function's entry, at the goid offset of the binary's
// runtime.g) through @uregister and a @cast word: every main.InG call's
// event has the id the program printed for that call (runtime.Stack's
// own line), on the main goroutine and on 8 others run at once. In a PIE
// too, and the stripped builds in TestBPFStrippedGoArgs.
func TestBPFGoroutineIDs(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	for _, v := range []testenv.GoVariant{testenv.GoDefault, testenv.GoPIE} {
		t.Run(string(v), func(t *testing.T) {
			checkGoids(t, host, testenv.GoFixture(t, v))
		})
	}
}

// checkGoids runs bin -goids 8 traced at main.InG (extra: more run
// arguments) and checks each event's goroutine id against the one the
// program printed for its call, found by the call's tag.
func checkGoids(t *testing.T, host, bin string, extra ...string) {
	t.Helper()
	args := append([]string{"run", "--stap", host, "--runtime", "bpf", "-c", bin + " -goids 8", "--format", "json"}, extra...)
	out, errs, code := stapgen(t, append(args, bin, "main.InG")...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	calls := said(t, errs, "CALL")["main.InG"]
	want := map[string]string{} // tag -> the goroutine id the program printed
	for _, c := range calls {
		want[c["tag"]] = c["goid"]
	}
	evs := parseEvents(t, out)
	if len(calls) != 9 || len(want) != 9 || len(evs) != len(calls) {
		t.Fatalf("%d events for %d calls\n%s\n%s", len(evs), len(calls), out, errs)
	}
	ids := map[string]bool{}
	for _, e := range evs {
		tag, _ := e.text(t, "tag")
		got := fmt.Sprint(e["goid"])
		if w, ok := want[tag]; !ok || got != w {
			t.Errorf("main.InG(%q): goid %s, the program printed %q", tag, got, w)
		}
		ids[got] = true
	}
	if len(ids) != len(calls) {
		t.Errorf("%d goroutine ids for %d goroutines: %v", len(ids), len(calls), ids)
	}
}
