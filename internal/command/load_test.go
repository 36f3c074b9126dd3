package command

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// tickCounter is stdout for a load run: it decodes each JSON line as it
// arrives and keeps only counts, so the test itself holds no events.
type tickCounter struct {
	mu      sync.Mutex
	partial []byte
	// seen[worker][i] marks the calls seen; allocated before the run so
	// the test's own bookkeeping does not show in the heap samples.
	seen     [][]bool
	distinct int
	dups     int
	other    int
	// malformed counts records that did not decode (a partial last one
	// aside): under BPF, what interleaved CPUs would produce untagged.
	malformed int
	bad       error
}

func newTickCounter(threads, n int) *tickCounter {
	c := &tickCounter{seen: make([][]bool, threads)}
	for w := range c.seen {
		c.seen[w] = make([]bool, n)
	}
	return c
}

func (c *tickCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		c.line(c.partial[:i])
		c.partial = c.partial[i+1:]
	}
}

func (c *tickCounter) line(b []byte) {
	var e struct {
		Probe  string `json:"probe"`
		Error  string `json:"error"`
		Fields map[string]struct {
			Value int64 `json:"value"`
		} `json:"fields"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		c.bad = fmt.Errorf("bad JSON line %q: %v", b, err)
		return
	}
	if e.Probe != "main.Tick" {
		c.other++
		if e.Error != "" && !strings.HasPrefix(e.Error, "partial record") {
			c.malformed++
		}
		return
	}
	w, i := e.Fields["worker"].Value, e.Fields["i"].Value
	switch {
	case w < 0 || w >= int64(len(c.seen)) || i < 0 || i >= int64(len(c.seen[w])):
		c.bad = fmt.Errorf("no such call: worker %d, i %d", w, i)
	case c.seen[w][i]:
		c.dups++
	default:
		c.seen[w][i] = true
		c.distinct++
	}
}

// heapSampler records the live heap while a run goes on.
type heapSampler struct {
	stop    chan struct{}
	done    chan struct{}
	samples []uint64
}

func sampleHeap(every time.Duration) *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		tk := time.NewTicker(every)
		defer tk.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-tk.C:
				runtime.GC()
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				h.samples = append(h.samples, m.HeapAlloc)
			}
		}
	}()
	return h
}

func (h *heapSampler) end() []uint64 { close(h.stop); <-h.done; return h.samples }

var ticksRE = regexp.MustCompile(`TICKS (\d+)`)

// loadRun traces main.Tick while the fixture calls it from several threads
// and returns the counts, stderr, the exit code and the heap samples.
func loadRun(t *testing.T, threads, n int, args ...string) (*tickCounter, string, int, []uint64) {
	t.Helper()
	out := newTickCounter(threads, n)
	var errb syncBuffer
	errb.ch = make(chan struct{}, 1)
	env := &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: &errb, Getenv: os.Getenv}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	heap := sampleHeap(250 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), runLimit)
	defer cancel()
	code := Main(ctx, append([]string{"stapgen", "run", "--format", "json"}, args...), env)
	return out, errb.String(), code, heap.end()
}

// targetTicks is the number of calls the fixture says it made.
func targetTicks(t *testing.T, stderr string) int {
	t.Helper()
	m := ticksRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("the target did not report its count:\n%s", stderr)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// assertFlat fails when the heap grew with the run instead of staying
// bounded: the last quarter's peak against the first quarter's.
func assertFlat(t *testing.T, samples []uint64) {
	t.Helper()
	if len(samples) < 8 {
		t.Logf("run too short for a memory trend (%d samples)", len(samples))
		return
	}
	q := len(samples) / 4
	peak := func(s []uint64) uint64 {
		m := uint64(0)
		for _, v := range s {
			m = max(m, v)
		}
		return m
	}
	first, last := peak(samples[:q]), peak(samples[len(samples)-q:])
	t.Logf("heap: first quarter peak %.1f MB, last quarter peak %.1f MB (%d samples)", float64(first)/1e6, float64(last)/1e6, len(samples))
	if last > 2*first+8<<20 {
		t.Errorf("heap grew during the run: %.1f MB → %.1f MB", float64(first)/1e6, float64(last)/1e6)
	}
}

// TestLoadInVM: four threads call main.Tick as fast as the module runtime
// lets them; every call is delivered exactly once (a re-run entry probe
// would show as a duplicate), and stapgen's heap stays flat. The count to
// match is the one the target prints. STAPGEN_LOAD_N sets the calls per
// thread for longer runs.
func TestLoadInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	n := 50000
	if s := os.Getenv("STAPGEN_LOAD_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	start := time.Now()
	out, errs, code, heap := loadRun(t, 4, n, "--stap", vm, "--stap-version", "5.1",
		"-c", fmt.Sprintf("%s -load %d -threads 4", bin, n), bin, "main.Tick")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if out.bad != nil {
		t.Fatal(out.bad)
	}
	want := targetTicks(t, errs)
	got := out.distinct
	t.Logf("%d calls, %d events in %s (%.0f events/s), %d duplicates", want, got, time.Since(start).Round(time.Second),
		float64(got)/time.Since(start).Seconds(), out.dups)
	if out.dups != 0 {
		t.Errorf("%d calls delivered twice", out.dups)
	}
	if got != want {
		// Only a loss stap itself reported may explain a shortfall, and
		// stapgen must have passed it on.
		if !strings.Contains(errs, "stap lost records") {
			t.Errorf("%d of %d calls delivered and no loss reported\n%s", got, want, errs)
		}
	}
	assertFlat(t, heap)
}

// TestLoadOnHostBPF: the same load under stapbpf. A light one (4x200
// calls) usually gets through whole: every call once, and no record mixed
// from two CPUs' prints. An unthrottled one (4x200000) overflows stapbpf's
// perf buffer on a fast machine: it loses events and then aborts. Either
// every call is delivered, or stapgen reports stap's own loss count and
// says why the run ended. The heap is not sampled: the runs are too short
// for a trend.
func TestLoadOnHostBPF(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	for _, n := range []int{200, 200000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			out, errs, code, _ := loadRun(t, 4, n, "--stap", host, "--runtime", "bpf",
				"-c", fmt.Sprintf("%s -load %d -threads 4", bin, n), bin, "main.Tick")
			if out.bad != nil {
				t.Fatal(out.bad)
			}
			want := targetTicks(t, errs)
			got := out.distinct
			// Repeated entries are the limitation the plan notes for BPF (no
			// registers to tell a re-run entry from a call); not counted.
			t.Logf("%d calls, %d delivered, %d delivered twice, %d malformed, exit %d", want, got, out.dups, out.malformed, code)
			// Any loss stapgen names (perf events, records the script
			// counted that never arrived: stap.Losses) accounts for them.
			lost := regexp.MustCompile(`stap lost records \(([^)]+)\)`).FindStringSubmatch(errs)
			switch {
			case got == want && code == 0:
			case lost == nil:
				t.Errorf("%d of %d calls delivered (exit %d) and no loss reported\n%s", got, want, code, errs)
			case code != 0 && !strings.Contains(errs, "perf buffer"):
				t.Errorf("the run failed without saying why:\n%s", errs)
			default:
				t.Logf("stap reported losses (%s); stapgen passed them on", lost[1])
			}
			if lost == nil && out.malformed > 0 {
				t.Errorf("%d records did not decode and stap lost nothing: CPUs' prints mixed", out.malformed)
			}
		})
	}
}
