package command

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// aggSnapshot is the JSON of one statistics snapshot.
type aggSnapshot struct {
	Final  bool
	Counts []struct {
		Probe, Site string
		Count       int64
	}
	Latency []struct {
		Function string
		Calls    int64 `json:"calls"`
		SumNS    int64 `json:"sum_ns"`
		Buckets  []struct {
			Bits  int
			Count int64
		} `json:"log2_buckets"`
	}
	Stats []struct {
		Probe, Site, Kind, Value, By string
		Keys                         []struct {
			Key        any
			Unreadable bool
			Count, Sum int64
		}
	}
}

// snapshots parses `--format json` output that should hold statistics
// only: every line one snapshot, the last one final.
func snapshots(t *testing.T, out string) []aggSnapshot {
	t.Helper()
	var all []aggSnapshot
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var v struct{ Aggregate *aggSnapshot }
		if err := json.Unmarshal([]byte(l), &v); err != nil || v.Aggregate == nil {
			t.Fatalf("a line that is no statistics snapshot: %q (%v)", l, err)
		}
		all = append(all, *v.Aggregate)
	}
	if len(all) == 0 || !all[len(all)-1].Final {
		t.Fatalf("no final snapshot in:\n%s", out)
	}
	return all
}

// targetCount is the TICKS line a load fixture printed.
func targetCount(t *testing.T, s string) int64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^TICKS (\d+)`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("the program printed no TICKS line:\n%s", tail(s))
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// checkLoadAggregate: the final snapshot counts every call the program
// made, and the latency histogram holds every one of them.
func checkLoadAggregate(t *testing.T, snaps []aggSnapshot, fn string, want int64) {
	t.Helper()
	final := snaps[len(snaps)-1]
	if len(final.Counts) != 1 || final.Counts[0].Probe != fn || final.Counts[0].Count != want {
		t.Errorf("counts %+v; the program made %d calls of %s", final.Counts, want, fn)
	}
	if len(final.Latency) != 1 {
		t.Fatalf("latency %+v", final.Latency)
	}
	l := final.Latency[0]
	var inBuckets int64
	for _, b := range l.Buckets {
		inBuckets += b.Count
	}
	if l.Calls != want || inBuckets != want || l.SumNS <= 0 {
		t.Errorf("latency of %s: %d calls, %d in the histogram, sum %d ns; the program made %d calls", l.Function, l.Calls, inBuckets, l.SumNS, want)
	}
	t.Logf("%d calls, %d snapshots, histogram %+v", want, len(snaps), l.Buckets)
}

// TestAggregateOnHostBPF: a C program calls tick 1,000,000 times as fast as
// it can; stapbpf counts and times every call in the script (no record per
// call, so nothing can overflow its perf buffer). With --interval the
// running totals (counts and histograms) print before the final, exact,
// snapshot.
func TestAggregateOnHostBPF(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.CFixture(t, testenv.CO0)
	const n = 1000000
	start := time.Now()
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "--format", "json", "--aggregate", "latency",
		"-c", fmt.Sprintf("%s load %d", bin, n), bin, "tick")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, tail(errs))
	}
	t.Logf("%s", time.Since(start).Round(time.Second))
	checkLoadAggregate(t, snapshots(t, out), "tick", targetCount(t, errs))
	// --interval: running totals every 300ms, histograms included; the
	// final snapshot is exact.
	out, errs, code = stapgen(t, "run", "--stap", host, "--runtime", "bpf", "--format", "json", "--aggregate", "latency", "--interval", "300ms",
		"-c", fmt.Sprintf("%s load %d", bin, n), bin, "tick")
	if code != ExitOK {
		t.Fatalf("--interval: exit %d\n%s", code, tail(errs))
	}
	snaps := snapshots(t, out)
	checkLoadAggregate(t, snaps, "tick", targetCount(t, errs))
	if len(snaps) < 3 {
		t.Errorf("--interval: %d snapshots, want interval ones before the final one", len(snaps))
	}
	var prev int64
	for i, s := range snaps[:len(snaps)-1] {
		if len(s.Counts) != 1 || len(s.Latency) != 1 || s.Counts[0].Count < prev {
			t.Errorf("interval snapshot %d: %+v (previous count %d)", i, s, prev)
			continue
		}
		var inBuckets int64
		for _, b := range s.Latency[0].Buckets {
			inBuckets += b.Count
		}
		// The timer prints one key after another while calls go on
		// (seen: one more timed than counted), and the plain maps'
		// updates can race between CPUs: within 1%.
		if c := s.Counts[0].Count; inBuckets > c+c/100 || inBuckets < c-c/100 {
			t.Errorf("interval snapshot %d: %d calls, %d timed", i, s.Counts[0].Count, inBuckets)
		}
		prev = s.Counts[0].Count
	}
	t.Logf("--interval: %d snapshots", len(snaps))
}

// TestAggregateInVM: the same proof on the kernel-module runtime with a Go
// program: four threads call main.Tick 1,000,000 times in all; the count
// and the latency histogram (returns timed at the RET instructions,
// paired by goroutine) equal the program's own count, and the --interval
// snapshots before the final one are running totals.
// STAPGEN_AGG_N sets the calls per thread.
func TestAggregateInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	n := vmLoadCalls(t, 250000)
	start := time.Now()
	out, errs, code := stapgen(t, "run", "--stap", vm, "--stap-version", "5.1", "--format", "json", "--aggregate", "latency",
		// A program that does nothing but call the probed function spends
		// most of its time in the probes, which stap's overload guard stops
		// (seen: "probe overhead exceeded threshold" under qemu TCG).
		"--stap-arg", "-DSTP_NO_OVERLOAD",
		"--interval", "5s", "-c", fmt.Sprintf("%s -load %d -threads 4", bin, n), bin, "main.Tick")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, tail(errs))
	}
	t.Logf("%s", time.Since(start).Round(time.Second))
	snaps := snapshots(t, out)
	checkLoadAggregate(t, snaps, "main.Tick", targetCount(t, errs))
	for i := 1; i < len(snaps); i++ {
		if len(snaps[i-1].Counts) > 0 && snaps[i].Counts[0].Count < snaps[i-1].Counts[0].Count {
			t.Errorf("snapshot %d counts fewer calls than the one before", i)
		}
	}
}

// vmLoadCalls is how many calls a load test in the VM makes: def, or
// STAPGEN_AGG_N. Such runs outlast stap-vm's default timeout.
func vmLoadCalls(t *testing.T, def int) int {
	t.Helper()
	t.Setenv("STAPVM_TIMEOUT", "900")
	s := os.Getenv("STAPGEN_AGG_N")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("STAPGEN_AGG_N=%q: want a positive number of calls", s)
	}
	return n
}
