package command

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// inflightN is more calls in flight at once than the 2,048 entries stap
// gives a map by default.
const inflightN = 3000

// checkInflight: with inflightN goroutines inside main.Hold at once (an
// entry filter's mark, a start time and a repeat mark kept for each until
// its RET), the run ends normally and times every call the program made.
func checkInflight(t *testing.T, args ...string) {
	t.Helper()
	full := append([]string{"run", "--format", "json", "--aggregate", "latency", "--where", "i >= 0"}, args...)
	out, errs, code := stapgen(t, full...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, tail(errs))
	}
	m := regexp.MustCompile(`(?m)^INFLIGHT (\d+)$`).FindStringSubmatch(errs)
	if m == nil {
		t.Fatalf("the program did not finish:\n%s", tail(errs))
	}
	want, _ := strconv.ParseInt(m[1], 10, 64)
	final := snapshots(t, out)
	lat := final[len(final)-1].Latency
	if len(lat) != 1 || lat[0].Calls != want {
		t.Errorf("latency %+v, the program made %d calls, all in flight at once\n%s", lat, want, out)
	}
}

// TestManyCallsInFlightOnHostBPF: stapbpf dropped the start times past
// 2,048 calls in flight (2,048 of 3,000 timed).
func TestManyCallsInFlightOnHostBPF(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	bin := testenv.GoFixture(t, testenv.Strip(testenv.GoDefault)) // stap 4.8 places Go RETs through the generated symbols
	checkInflight(t, "--stap", host, "--runtime", "bpf", "--source", filepath.Dir(testenv.GoSource("main.go")),
		"-c", fmt.Sprintf("%s -inflight %d", bin, inflightN), bin, "main.Hold")
}

// TestManyCallsInFlightInVM: the kernel runtime ended the run at the
// 2,049th call in flight ("Array overflow").
func TestManyCallsInFlightInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	checkInflight(t, "--stap", vm, "--stap-version", "5.1", "--stap-arg", "-DSTP_NO_OVERLOAD",
		"-c", fmt.Sprintf("%s -inflight %d", bin, inflightN), bin, "main.Hold")
}
