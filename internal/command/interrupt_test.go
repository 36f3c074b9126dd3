package command

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// syncBuffer lets the test read what the CLI wrote while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	ch  chan struct{}
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	n, err := b.buf.Write(p)
	b.mu.Unlock()
	select {
	case b.ch <- struct{}{}:
	default:
	}
	return n, err
}

// TestInterruptDeliversEverything: Ctrl-C (a cancelled context) ends the run
// with stap's SIGINT; the events printed before it are all decoded and the
// exit code says the run was interrupted.
func TestInterruptDeliversEverything(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	out := &syncBuffer{ch: make(chan struct{}, 1)}
	var errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: &errb, Getenv: os.Getenv}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Stop once the first events are out.
		deadline := time.After(2 * time.Minute)
		for {
			select {
			case <-out.ch:
				if strings.Count(out.String(), "\n") >= 7 {
					time.Sleep(200 * time.Millisecond)
					cancel()
					return
				}
			case <-deadline:
				cancel()
				return
			}
		}
	}()
	code := Main(ctx, []string{"stapgen", "run", "--stap", host, "--runtime", "bpf", "--format", "json",
		"-c", bin + " -loops 100000 -every 1ms", bin, "main.Str"}, env)
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", code, ExitInterrupted, errb.String())
	}
	evs := parseEvents(t, out.String())
	if len(evs) < 7 {
		t.Fatalf("%d events after the interrupt", len(evs))
	}
	// Every record is whole: decoded with its field, in the program's
	// order by time. stapbpf reads each CPU's perf buffer in turn, so a
	// record of a goroutine that moved to another CPU can arrive before
	// the one it followed (seen in CI).
	slices.SortStableFunc(evs, func(a, b jsonEvent) int {
		ta, _ := a["time_ns"].(float64)
		tb, _ := b["time_ns"].(float64)
		return cmp.Compare(ta, tb)
	})
	want := []string{"hello", "hello world", "quote\"d", "new\nline", "\xff\xfe\x00z", ""}
	for i, e := range evs[:6] {
		if s, _ := e.text(t, "s"); s != want[i] {
			t.Errorf("event %d: %q, want %q", i, s, want[i])
		}
	}
	if !strings.Contains(errb.String(), "interrupted after") {
		t.Errorf("no interruption message: %s", errb.String())
	}
}

// TestTimeLimitDeliversEverything: --duration ends the run from inside the
// script while the target still runs; every record stap wrote (the raw
// output saved with --save is the count to match) is decoded, and a cut
// one would be reported.
func TestTimeLimitDeliversEverything(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	raw := t.TempDir() + "/raw"
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "--format", "json", "--duration", "2s",
		"--save", raw, "-c", bin+" -loops 10000000 -every 1ms", bin, "main.Str")
	// The target is paced so stapbpf keeps up; on a machine where it still
	// overflows, stap aborts, and what matters is that stapgen said so and
	// still delivered every record stap wrote.
	if code != ExitOK && !strings.Contains(errs, "stap lost records") {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	// One header per record, wherever its CPU's pieces fell; probe 0 is
	// main.Str, the others the runtime's restart points (not events).
	records := strings.Count(string(b), "@@sg1 0 ")
	evs := parseEvents(t, out)
	partial := strings.Count(out, `"error":"partial record`)
	restarted := 0
	if i := strings.Index(errs, "stapgen: note: "); i >= 0 {
		fmt.Sscanf(errs[i:], "stapgen: note: %d entry records dropped", &restarted)
	}
	if records == 0 || len(evs)+partial+restarted != records {
		t.Errorf("stap wrote %d records; %d decoded, %d reported partial, %d dropped as restarts", records, len(evs), partial, restarted)
	}
	if strings.Contains(errs, "gofix: done") {
		t.Errorf("the target finished before the time limit; the test proves nothing")
	}
}
