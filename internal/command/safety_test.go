package command

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestGoReturnsDoNotCrashTheTargetInVM is the reason stapgen never emits
// .return for Go: 50 goroutines each call main.Deep, whose deep recursion
// grows and moves their stacks. A uretprobe on main.Deep (what a hand-written
// stap script does) rewrites return addresses on the stack and the Go
// runtime dies on them; stapgen's probes on the RET instructions see every
// return and the program finishes.
func TestGoReturnsDoNotCrashTheTargetInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	const n = 50
	cmd := fmt.Sprintf("%s -loops 0 -deep %d", bin, n)

	// The crash depends on timing; it showed in every run here, and one
	// retry keeps a lucky survival from hiding it.
	crashed := false
	for try := 0; try < 2 && !crashed; try++ {
		naive, err := lab.Run(context.Background(), lab.Job{Runtime: lab.VMModule, Cmd: cmd,
			Script: fmt.Sprintf(`probe process(%q).function("main.Deep").return { printf("R %%d\n", 1) }`, bin)})
		crashed = err != nil || !strings.Contains(string(naive.Stdout), "gofix: done")
		t.Logf("uretprobe run %d: crashed=%v: %s", try, crashed, lastLines(string(naive.Stdout), 1))
	}
	if !crashed {
		t.Error("a plain .return probe did not crash the Go program: the contrast this test shows is gone")
	}

	out, errs, code := stapgen(t, "run", "--stap", vm, "--stap-version", "5.1", "-c", cmd, "--format", "json",
		"--return", "--entry=false", bin, "main.Deep")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if !strings.Contains(errs, "gofix: done") {
		t.Fatalf("the traced program did not finish:\n%s", errs)
	}
	rets := 0
	for _, e := range parseEvents(t, out) {
		if e.str("site") == "return" && e.num(t, "~r0") >= 0 {
			rets++
		}
	}
	if rets != n {
		t.Errorf("%d returns seen, the program made %d calls", rets, n)
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[:n]
	}
	return strings.Join(l, " | ")
}
