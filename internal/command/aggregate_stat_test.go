package command

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// aggTally is what "cfix agg N" printed of its own calls of weigh.
type aggTally struct {
	calls, sum int64
	byK, byRet map[string]int64
	byName     map[string]int64
}

func readTally(t *testing.T, s string) aggTally {
	t.Helper()
	a := aggTally{byK: map[string]int64{}, byRet: map[string]int64{}, byName: map[string]int64{}}
	m := regexp.MustCompile(`(?m)^AGG calls (\d+) sum (-?\d+)$`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("the program printed no AGG calls line:\n%s", tail(s))
	}
	a.calls, _ = strconv.ParseInt(m[1], 10, 64)
	a.sum, _ = strconv.ParseInt(m[2], 10, 64)
	for _, m := range regexp.MustCompile(`(?m)^AGG (k|ret) (\d+) (\d+)$`).FindAllStringSubmatch(s, -1) {
		n, _ := strconv.ParseInt(m[3], 10, 64)
		map[string]map[string]int64{"k": a.byK, "ret": a.byRet}[m[1]][m[2]] = n
	}
	for _, m := range regexp.MustCompile(`(?m)^AGG name (\d+) (.*)$`).FindAllStringSubmatch(s, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		a.byName[m[2]] = n
	}
	return a
}

// statSnapshots are the snapshots of `--format json` output whose final
// one holds one keyed or summed statistic.
func statSnapshots(t *testing.T, out string) []aggSnapshot {
	t.Helper()
	all := snapshots(t, out)
	if len(all[len(all)-1].Stats) != 1 {
		t.Fatalf("no final snapshot with one statistic in:\n%s", out)
	}
	return all
}

// keyCounts are a statistic's calls per key, keys as text.
func keyCounts(t *testing.T, s aggSnapshot) (map[string]int64, []int64, int64) {
	t.Helper()
	counts := map[string]int64{}
	var order []int64
	var sum int64
	for _, k := range s.Stats[0].Keys {
		if k.Unreadable {
			t.Errorf("an unreadable key: %+v", k)
		}
		counts[fmt.Sprint(k.Key)] = k.Count
		order = append(order, k.Count)
		sum += k.Sum
	}
	return counts, order, sum
}

// topOf is the n keys with the most calls in a tally.
func topOf(m map[string]int64, n int) map[string]int64 {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	out := map[string]int64{}
	for _, k := range keys[:min(n, len(keys))] {
		out[k] = m[k]
	}
	return out
}

func equalCounts(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: stap counted %v; the program counted %v", what, got, want)
	}
}

// TestAggregateStatsOnHostBPF: a C program calls weigh(v, k, name)
// 1,000,000 times with values it tallies itself. stapbpf sums v per k
// (keys and counts equal the program's per-k counts, the sums add up to
// its sum), finds the top 3 values of k, times the calls per return code,
// and with --interval prints running totals whose final snapshot equals
// the program's count and sum. String keys are refused with the reason.
func TestAggregateStatsOnHostBPF(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.CFixture(t, testenv.CO0)
	const n = 1000000
	run := func(args ...string) (string, aggTally) {
		t.Helper()
		start := time.Now()
		full := append([]string{"run", "--stap", host, "--runtime", "bpf", "--format", "json"}, args...)
		out, errs, code := stapgen(t, append(full, "-c", fmt.Sprintf("%s agg %d", bin, n), bin, "weigh")...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d\n%s", args, code, tail(errs))
		}
		t.Logf("%v: %s", args, time.Since(start).Round(time.Second))
		return out, readTally(t, errs)
	}

	out, want := run("--aggregate", "sum:v", "--by", "k", "--keys", "8")
	final := statSnapshots(t, out)[0]
	got, order, sum := keyCounts(t, final)
	equalCounts(t, "calls per k", got, want.byK)
	if sum != want.sum || !sort.SliceIsSorted(order, func(i, j int) bool { return order[i] > order[j] }) {
		t.Errorf("sum of v over the keys %d (counts in order %v); the program's sum is %d", sum, order, want.sum)
	}

	out, want = run("--aggregate", "top:k", "--keys", "3")
	got, _, _ = keyCounts(t, statSnapshots(t, out)[0])
	equalCounts(t, "top 3 values of k", got, topOf(want.byK, 3))

	out, want = run("--aggregate", "latency", "--by", "return")
	got, _, _ = keyCounts(t, statSnapshots(t, out)[0])
	equalCounts(t, "timed calls per return code", got, want.byRet)

	out, want = run("--aggregate", "sum:v", "--interval", "300ms")
	snaps := statSnapshots(t, out)
	last := snaps[len(snaps)-1].Stats[0].Keys
	if len(last) != 1 || last[0].Count != want.calls || last[0].Sum != want.sum {
		t.Errorf("final sum %+v; the program made %d calls summing %d", last, want.calls, want.sum)
	}
	if len(snaps) < 3 {
		t.Errorf("%d snapshots: want interval ones before the final one", len(snaps))
	}
	var prev int64
	for i, s := range snaps[:len(snaps)-1] {
		if len(s.Stats) != 1 || len(s.Stats[0].Keys) != 1 || s.Stats[0].Keys[0].Count < prev || s.Stats[0].Keys[0].Count > want.calls {
			t.Errorf("interval snapshot %d: %+v (previous count %d)", i, s.Stats, prev)
			continue
		}
		prev = s.Stats[0].Keys[0].Count
	}
	t.Logf("%d interval snapshots, the last at %d of %d calls", len(snaps)-1, prev, want.calls)

	_, errs, code := stapgen(t, "gen", "--runtime", "bpf", "--aggregate", "top:name", bin, "weigh")
	if code != ExitRefused || !strings.Contains(errs, "kernel runtime") {
		t.Errorf("a string key on BPF: exit %d\n%s", code, errs)
	}
	_, errs, code = stapgen(t, "gen", "--runtime", "bpf", "--aggregate", "count", "--by", "k", "--interval", "1s", bin, "weigh")
	if code != ExitRefused || !strings.Contains(errs, "loop over keys") {
		t.Errorf("--interval with --by on BPF: exit %d\n%s", code, errs)
	}
}

// TestAggregateStatsInVM: the same proof on the kernel-module runtime,
// where keys can be strings: the top 3 names weigh was passed (one with a
// space, one with a quote) and their counts equal the program's; v summed
// per k, with --interval snapshots before the final one, and calls per
// return code timed. STAPGEN_AGG_N sets the calls.
func TestAggregateStatsInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.CFixture(t, testenv.CO0)
	n := vmLoadCalls(t, 100000)
	run := func(args ...string) (string, aggTally) {
		t.Helper()
		start := time.Now()
		full := append([]string{"run", "--stap", vm, "--stap-version", "5.1", "--format", "json", "--stap-arg", "-DSTP_NO_OVERLOAD"}, args...)
		out, errs, code := stapgen(t, append(full, "-c", fmt.Sprintf("%s agg %d", bin, n), bin, "weigh")...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d\n%s", args, code, tail(errs))
		}
		t.Logf("%v: %s", args, time.Since(start).Round(time.Second))
		return out, readTally(t, errs)
	}

	out, want := run("--aggregate", "top:name", "--keys", "3")
	got, _, _ := keyCounts(t, statSnapshots(t, out)[0])
	equalCounts(t, "top 3 names", got, topOf(want.byName, 3))

	out, want = run("--aggregate", "sum:v", "--by", "k", "--keys", "8", "--interval", "200ms")
	snaps := statSnapshots(t, out)
	got, _, sum := keyCounts(t, snaps[len(snaps)-1])
	equalCounts(t, "calls per k", got, want.byK)
	if sum != want.sum {
		t.Errorf("sum of v over the keys %d; the program's sum is %d", sum, want.sum)
	}
	if len(snaps) < 2 {
		t.Errorf("%d snapshots: want interval ones before the final one", len(snaps))
	}
	// Interval snapshots are running totals: no key past its final count.
	for i, s := range snaps[:len(snaps)-1] {
		if len(s.Stats) == 0 {
			continue // before the first call
		}
		for _, k := range s.Stats[0].Keys {
			if k.Count > got[fmt.Sprint(k.Key)] {
				t.Errorf("interval snapshot %d: key %v at %d calls, past its final %d", i, k.Key, k.Count, got[fmt.Sprint(k.Key)])
			}
		}
	}
	t.Logf("%d snapshots", len(snaps))

	out, want = run("--aggregate", "latency", "--by", "return")
	got, _, _ = keyCounts(t, statSnapshots(t, out)[0])
	equalCounts(t, "timed calls per return code", got, want.byRet)
}

// TestAggregateKernelKeysInVM: a kernel function's calls counted per
// string in kernel memory (name->name of lookup_one_qstr_excl): the guest
// makes and removes each directory as many times as it says, and each
// mkdir and rmdir looks its name up once (as TestKernelReturnInVM sees).
func TestAggregateKernelKeysInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	vmlinux := testenv.Vmlinux(t)
	script := `for n in 3 5 8; do i=0; while [ $i -lt $n ]; do mkdir /tmp/sg-$n && rmdir /tmp/sg-$n; i=$((i+1)); done; echo "MADE sg-$n $i"; done`
	out, errs, code := stapgen(t, "run", "--stap", vm, "--format", "json", "--all-processes", "--aggregate", "count", "--by", "name->name", "--keys", "1000",
		"-c", "/bin/sh -c '"+script+"'", vmlinux, "lookup_one_qstr_excl")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, tail(errs))
	}
	want := map[string]int64{}
	for _, m := range regexp.MustCompile(`(?m)^MADE (sg-\d+) (\d+)$`).FindAllStringSubmatch(errs, -1) {
		n, _ := strconv.ParseInt(m[2], 10, 64)
		want[m[1]] = 2 * n
	}
	if len(want) != 3 {
		t.Fatalf("the guest printed %v\n%s", want, tail(errs))
	}
	all, _, _ := keyCounts(t, statSnapshots(t, out)[0])
	got := map[string]int64{}
	for k, n := range all {
		if strings.HasPrefix(k, "sg-") {
			got[k] = n
		}
	}
	equalCounts(t, "lookups per name", got, want)
	t.Logf("%d names looked up in all", len(all))
}

// TestAggregateGoLatencyByParamInVM: a Go function's latency keyed by a
// parameter, which its return cannot read: the entry keeps the key per
// goroutine. Four threads call main.Tick(worker, i) n times each; every
// worker is timed n times, and the program's TICKS total in all.
func TestAggregateGoLatencyByParamInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	const n, threads = 50000, 4
	t.Setenv("STAPVM_TIMEOUT", "900")
	out, errs, code := stapgen(t, "run", "--stap", vm, "--stap-version", "5.1", "--format", "json", "--stap-arg", "-DSTP_NO_OVERLOAD",
		"--aggregate", "latency", "--by", "worker", "-c", fmt.Sprintf("%s -load %d -threads %d", bin, n, threads), bin, "main.Tick")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, tail(errs))
	}
	got, _, _ := keyCounts(t, statSnapshots(t, out)[len(statSnapshots(t, out))-1])
	want := map[string]int64{}
	for w := 0; w < threads; w++ {
		want[strconv.Itoa(w)] = n
	}
	equalCounts(t, "timed calls per worker", got, want)
	if total := targetCount(t, errs); total != n*threads {
		t.Errorf("the program made %d calls, not %d", total, n*threads)
	}
}
