package command

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// stopBound is the generous bound on the time from the end of a run (the
// interrupt, the time limit, the last allowed event) to stapgen's return.
const stopBound = 3 * time.Second

// stopRun runs stapgen on a -c program that would run for hours, with
// extra flags; trigger, called each time output arrives, returns true when
// the run's end is due (it may cancel ctx itself) and when that was.
type stopRun struct {
	out, errb *syncBuffer
	code      int
	returned  time.Time
	raw       string
}

func runLong(t *testing.T, rt stopRuntime, extra []string, trigger func(out string, cancel func()) bool) (stopRun, time.Time) {
	t.Helper()
	bin := testenv.GoFixture(t, testenv.GoDefault)
	r := stopRun{out: &syncBuffer{ch: make(chan struct{}, 1)}, errb: &syncBuffer{ch: make(chan struct{}, 1)}, raw: t.TempDir() + "/raw"}
	env := &Env{Stdin: strings.NewReader(""), Stdout: r.out, Stderr: r.errb, Getenv: os.Getenv}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), runLimit)
	defer cancel()
	due := make(chan time.Time, 1)
	go func() {
		for {
			select {
			case <-r.out.ch:
				if trigger(r.out.String(), cancel) {
					due <- time.Now()
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	args := append(append([]string{"stapgen", "run"}, rt.args...), "--format", "json", "--save", r.raw,
		"-c", bin+" -loops 100000000 -every 20ms")
	args = append(args, extra...)
	r.code = Main(ctx, append(args, bin, "main.Str"), env)
	r.returned = time.Now()
	var at time.Time
	select {
	case at = <-due:
	case <-time.After(200 * time.Millisecond):
		// The last output came just before the return, and the watcher
		// had not looked at it yet: the end was due no later than that.
		if trigger(r.out.String(), func() {}) {
			at = r.returned
			break
		}
		t.Fatalf("the run ended before its end was due (exit %d)\n%s", r.code, tail(r.errb.String()))
	}
	cancel()
	killLeft(t, r.errb.String())
	return r, at
}

// killLeft stops the -c command stap left running, by the group stapgen
// named.
func killLeft(t *testing.T, stderr string) {
	m := regexp.MustCompile(`kill -INT -- -(\d+)`).FindStringSubmatch(stderr)
	if m == nil {
		return
	}
	pg, _ := strconv.Atoi(m[1])
	syscall.Kill(-pg, syscall.SIGKILL)
}

func tail(s string) string {
	if len(s) > 3000 {
		return "..." + s[len(s)-3000:]
	}
	return s
}

// delivered checks that the decoded events are every record stap wrote
// (the raw output saved beside them) and returns their number.
func (r stopRun) delivered(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(r.raw)
	if err != nil {
		t.Fatal(err)
	}
	// Probe 0 is main.Str; the others are the runtime's restart points,
	// whose records are not events, and stapgen names the entries it
	// dropped as restarted.
	records := strings.Count(string(b), "@@sg1 0 ")
	evs := parseEvents(t, r.out.String())
	restarted := 0
	if i := strings.Index(r.errb.String(), "stapgen: note: "); i >= 0 {
		fmt.Sscanf(r.errb.String()[i:], "stapgen: note: %d entry records dropped", &restarted)
	}
	if records == 0 || len(evs)+restarted != records {
		t.Errorf("stap wrote %d records, %d decoded, %d dropped as restarts; the last output:\n%s", records, len(evs), restarted, tail(string(b)))
	}
	return len(evs)
}

// stopRuntime is where a stop test runs: stapgen's options for it and the
// bound on the time from a run's end being due to stapgen's return.
type stopRuntime struct {
	args  []string
	bound time.Duration
	// vm: the -c command ends with the guest, nothing is left running.
	vm bool
}

// TestStopPromptly: Ctrl-C, --duration and --max-events end a run on the
// BPF runtime within stopBound while the -c program would still run for
// hours, with every record stap wrote decoded.
func TestStopPromptly(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	testStop(t, stopRuntime{args: []string{"--stap", host, "--runtime", "bpf"}, bound: stopBound})
}

// vmStopBound: in the VM a stop also takes the module's unloading and the
// guest's power-off, under TCG on a loaded machine.
const vmStopBound = 10 * time.Second

// TestStopPromptlyInVM: the same on the kernel-module runtime in the lab
// VM, through this tree's stap-vm, which passes a signal on to the guest's
// staprun as a terminal's Ctrl-C; the guest's boot is before the first
// event, so it is not in the measured times.
func TestStopPromptlyInVM(t *testing.T) {
	vm := labVMScript(t)
	testStop(t, stopRuntime{args: []string{"--stap", vm, "--stap-version", "5.1"}, bound: vmStopBound, vm: true})
}

func testStop(t *testing.T, rt stopRuntime) {
	t.Run("ctrl-c", func(t *testing.T) {
		r, at := runLong(t, rt, nil, func(out string, cancel func()) bool {
			if strings.Count(out, "\n") < 20 {
				return false
			}
			cancel()
			return true
		})
		if r.code != ExitInterrupted {
			t.Fatalf("exit %d, want %d\n%s", r.code, ExitInterrupted, tail(r.errb.String()))
		}
		d := r.returned.Sub(at)
		t.Logf("returned %v after Ctrl-C", d)
		if d > rt.bound {
			t.Errorf("returned %v after Ctrl-C", d)
		}
		r.delivered(t)
		// The command got the interrupt as a terminal's Ctrl-C gives it:
		// it did not reach its end, and nothing was left running.
		if strings.Contains(r.errb.String(), "gofix: done") || strings.Contains(r.errb.String(), "still running") {
			t.Errorf("the -c command was not interrupted:\n%s", tail(r.errb.String()))
		}
		// In the VM, staprun says how the command ended (its output
		// reaches stapgen's stderr with the guest's).
		if rt.vm && !strings.Contains(r.errb.String(), "Child process exited with signal 2") {
			t.Errorf("the guest's -c command did not get SIGINT:\n%s", tail(r.errb.String()))
		}
	})
	t.Run("duration", func(t *testing.T) {
		const limit = 2 * time.Second
		r, first := runLong(t, rt, []string{"--duration", limit.String()}, func(out string, _ func()) bool { return strings.Contains(out, "\n") })
		if r.code != ExitOK {
			t.Fatalf("exit %d\n%s", r.code, tail(r.errb.String()))
		}
		// The timer starts when the probes are in, before the first event.
		d := r.returned.Sub(first)
		t.Logf("returned %v after the first event, limit %v", d, limit)
		if d > limit+rt.bound {
			t.Errorf("returned %v after the first event, limit %v", d, limit)
		}
		r.delivered(t)
		if !rt.vm && !strings.Contains(r.errb.String(), "still running") {
			t.Errorf("stapgen did not say the command is left running:\n%s", tail(r.errb.String()))
		}
	})
	t.Run("max-events", func(t *testing.T) {
		const n = 40
		r, at := runLong(t, rt, []string{"--max-events", strconv.Itoa(n)}, func(out string, _ func()) bool {
			return strings.Count(out, "\n") >= n
		})
		if r.code != ExitOK {
			t.Fatalf("exit %d\n%s", r.code, tail(r.errb.String()))
		}
		d := r.returned.Sub(at)
		t.Logf("returned %v after the %dth event", d, n)
		if d > rt.bound {
			t.Errorf("returned %v after the %dth event", d, n)
		}
		if got := len(parseEvents(t, r.out.String())); got != n {
			t.Errorf("%d events, want exactly %d", got, n)
		}
		// stapbpf's count is a map without a lock between CPUs: it may
		// write a record more, never fewer.
		if b, _ := os.ReadFile(r.raw); strings.Count(string(b), "@@sg1 ") < n {
			t.Errorf("stap wrote %d records, fewer than %d", strings.Count(string(b), "@@sg1 "), n)
		}
	})
}
