package command

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestGoCallsThatMoveThreadsInVM: a Go call that returns on another thread
// than it entered on, followed by a call entering at the same stack
// pointer on the thread it left, is still a call. Every one of gofix's
// -hops calls is traced at its entry and at its RET, each on the thread the
// program says it ran on there, and an in-stap latency counts them all.
// (Entries that repeat at one stack pointer were once dropped per thread:
// a keep-alive HTTP connection's goroutine lost calls that way.)
func TestGoCallsThatMoveThreadsInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	const n = 100
	cmd := fmt.Sprintf("%s -hops %d", bin, n)

	out, errs, code := stapgen(t, "run", "--stap", vm, "--stap-version", "5.1", "-c", cmd, "--format", "json", "--return", bin, "main.Hop")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	type hop struct{ in, out string }
	var hops []hop
	// left holds the threads whose last event was an entry: a call
	// entered there and returned on another thread.
	moved, back := 0, 0
	left := map[string]bool{}
	for _, m := range regexp.MustCompile(`HOP \d+ in=(\d+) out=(\d+)`).FindAllStringSubmatch(errs, -1) {
		hops = append(hops, hop{m[1], m[2]})
		if left[m[1]] {
			back++
		}
		left[m[1]] = true
		delete(left, m[2])
		if m[1] != m[2] {
			moved++
		}
	}
	if len(hops) != n {
		t.Fatalf("the program printed %d of its %d calls:\n%s", len(hops), n, errs)
	}
	t.Logf("%d of %d calls returned on another thread; %d entered on a thread whose last event was an entry", moved, n, back)
	if back == 0 {
		t.Fatalf("no call entered on a thread that an earlier call had left: the case this test is about did not happen")
	}
	var entries, rets []jsonEvent
	for _, e := range parseEvents(t, out) {
		switch e.str("site") {
		case "entry":
			entries = append(entries, e)
		case "return":
			rets = append(rets, e)
		}
	}
	if len(entries) != n || len(rets) != n {
		t.Fatalf("%d entries and %d returns traced; the program made %d calls", len(entries), len(rets), n)
	}
	tid := func(e jsonEvent) string { return strconv.FormatFloat(e["tid"].(float64), 'f', -1, 64) }
	for i, h := range hops {
		if got := fmt.Sprint(entries[i].num(t, "i")); got != strconv.Itoa(i) {
			t.Errorf("entry %d: i=%s", i, got)
		}
		if tid(entries[i]) != h.in || tid(rets[i]) != h.out {
			t.Errorf("call %d traced on threads %s → %s; the program ran on %s → %s", i, tid(entries[i]), tid(rets[i]), h.in, h.out)
		}
	}

	sum, errs, code := stapgen(t, "run", "--stap", vm, "--stap-version", "5.1", "-c", cmd, "--aggregate", "latency", "--format", "summary", bin, "main.Hop")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if want := fmt.Sprintf("latency of main.Hop: %d calls", n); !strings.Contains(sum, want) {
		t.Errorf("no %q in:\n%s", want, sum)
	}
}
