package command

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// handXmallocRE is one line of the hand-written script: the size and the
// symbolised user backtrace, frames joined by '|'.
var handXmallocRE = regexp.MustCompile(`(?m)^X ([0-9]+) (.*)$`)

// TestRunLsXmallocInVM: the tutorial's example on coreutils' ls built from
// Debian's source with -g (lab/coreutils.sh): xmalloc in `ls -l /` with
// user backtraces, in the lab VM. The sizes and caller chains equal those a
// hand-written stap script prints in the same guest (sprint_ubacktrace,
// stap's own symbolisation). The script probes .function("xmalloc").call,
// as stapgen does: a plain .function also fires at xmalloc's inline copies
// (18 more firings in xmemdup and xstrdup here).
func TestRunLsXmallocInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	ls := testenv.CoreutilsLs(t)
	cmd := "exec " + ls + " -l /"
	script := filepath.Join(t.TempDir(), "hand.stp")
	hand := fmt.Sprintf(`probe process(%q).function("xmalloc").call {
	printf("X %%d %%s\n", $s, str_replace(sprint_ubacktrace(), "\n", "|"))
}
`, ls)
	if err := os.WriteFile(script, []byte(hand), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command(vm, "-c", cmd, script).CombinedOutput()
	if err != nil {
		t.Fatalf("hand-written script: %v\n%s", err, b)
	}
	var want []string
	for _, m := range handXmallocRE.FindAllStringSubmatch(string(b), -1) {
		var names []string
		for _, fr := range strings.Split(m[2], "|") {
			if fr == "" || !strings.HasSuffix(fr, " [ls]") {
				continue // libc's frames: stapgen names the target's only
			}
			names = append(names, strings.SplitN(fr, "+", 2)[0])
		}
		want = append(want, m[1]+" "+strings.Join(names, ","))
	}
	if len(want) == 0 {
		t.Fatalf("the hand-written script saw no xmalloc call:\n%s", b)
	}

	out, errs, code := stapgen(t, "run", "--stap", vm, "-c", cmd, "--backtrace", "user", "--format", "json", ls, "xmalloc")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var got []string
	for _, e := range parseEvents(t, out) {
		st := e.field("user_stack")
		frames, _ := st["frames"].([]any)
		var names []string
		for _, f := range frames {
			if s, ok := f.(string); ok {
				names = append(names, s)
			}
		}
		got = append(got, fmt.Sprintf("%d %s", e.num(t, "s"), strings.Join(names, ",")))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stapgen:\n%s\nhand-written stap script:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
