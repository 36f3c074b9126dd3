package command

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// descScript, run as "sh desc.sh BIN top", runs the fixture BIN once in
// each of four generations below itself; "sh desc.sh BIN N" runs it N
// generations down. The process running BIN says its pid first (exec
// keeps it), and "true" after each shell keeps it from exec'ing in place.
const descScript = `b=$1
if [ "$2" = top ]; then
	for g in 0 1 2 3; do /bin/sh "$0" "$b" $g; done
	exit 0
fi
if [ "$2" -eq 0 ]; then echo DESC $$; exec "$b" 1; fi
/bin/sh "$0" "$b" $(($2 - 1))
true
`

// TestCmdDescendantsInVM: run -c records the processes the command
// starts, four generations down, by the pids they printed themselves.
// (A process outside the command's tree cannot be had in the VM to show
// it is left out: the guest runs nothing else, and one the kernel starts,
// a core dump helper, is not tracked by stap at all.)
func TestCmdDescendantsInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.CFixture(t, testenv.CO0)
	sh := filepath.Join(t.TempDir(), "desc.sh")
	if err := os.WriteFile(sh, []byte(descScript), 0o755); err != nil {
		t.Fatal(err)
	}
	out, errs, code := stapgen(t, "run", "--stap", vm, "--format", "json", "-c", "/bin/sh "+sh+" "+bin+" top", bin, "greet")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var desc []string
	for _, m := range regexp.MustCompile(`(?m)^DESC (\d+)\r?$`).FindAllStringSubmatch(errs, -1) {
		desc = append(desc, m[1])
	}
	if len(desc) != 4 {
		t.Fatalf("%d descendants said their pid, want 4\n%s", len(desc), errs)
	}
	calls := map[string]int{}
	for _, e := range parseEvents(t, out) {
		pid, _ := e["pid"].(float64)
		calls[strconv.Itoa(int(pid))]++
	}
	// cfix calls greet three times a loop; nothing else calls it.
	for _, p := range desc {
		if calls[p] != 3 {
			t.Errorf("descendant %s: %d records, want 3", p, calls[p])
		}
	}
	for p := range calls {
		if !slices.Contains(desc, p) {
			t.Errorf("records of pid %s, which said nothing", p)
		}
	}
}
