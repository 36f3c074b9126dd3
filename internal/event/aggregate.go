package event

import (
	"bytes"
	"errors"
	"strconv"
)

// aggMagic starts the lines of a script's statistics, printed at its end
// and every --interval:
//
//	@@sga a KEY N SUM            KEY is PROBE*100 + K. K 0: probe PROBE
//	                             counted N calls. K = 1+BITS: N entry→return
//	                             times (ns) ending at return probe PROBE,
//	                             adding up to SUM, had BITS bits
//	@@sga a KEY N SUM MIN MAX    the same with the extremes (the kernel
//	                             runtime; stapbpf has no @min or @max)
//	@@sga k PROBE ...            a keyed or summed statistic (stat.go)
//	@@sga done FINAL             the snapshot is complete; FINAL is 1 at the
//	                             script's end, 0 for an interval
//	@@sga sent N                 the script printed N records (BPF, at its
//	                             end; sent.go)
var aggMagic = []byte("@@sga ")

// Agg is one snapshot of a script's statistics.
type Agg struct {
	// Final is set for the end-of-run snapshot; interval ones are running
	// totals so far.
	Final bool `json:"final"`
	// Counts are calls per counted probe, in probe order.
	Counts []AggCount `json:"counts,omitempty"`
	// Latency is per function, in probe order.
	Latency []*Latency `json:"latency,omitempty"`
	// Stats are the keyed and summed statistics, in probe order.
	Stats []*Stat `json:"stats,omitempty"`

	counts  map[int]int64
	latency map[int]*Latency
	stats   map[int]*Stat
}

// AggCount is the calls one probe counted.
type AggCount struct {
	Function string `json:"probe"`
	Site     Site   `json:"site"`
	Count    int64  `json:"count"`
}

// Latency is entry→return times of one function, in ns.
type Latency struct {
	Function string `json:"function"`
	Count    int64  `json:"calls"`
	Sum      int64  `json:"sum_ns"`
	// Min and Max are the extremes where the runtime reports them.
	Min *int64 `json:"min_ns,omitempty"`
	Max *int64 `json:"max_ns,omitempty"`
	// Buckets are the non-empty log2 buckets, smallest first.
	Buckets []Bucket `json:"log2_buckets"`

	probe   int
	buckets map[int]int64
}

// Bucket counts times with Bits significant bits: 0 for 0, else times
// from 2^(Bits-1) up to twice that.
type Bucket struct {
	Bits  int   `json:"bits"`
	From  int64 `json:"from_ns"`
	Count int64 `json:"count"`
}

var errAgg = errors.New("bad statistics line")

// aggLine takes one statistics line; a complete snapshot becomes an event.
func (d *Decoder) aggLine(line []byte) error {
	f := bytes.Fields(line[len(aggMagic):])
	if len(f) == 0 {
		return errAgg
	}
	if string(f[0]) == "k" {
		return d.statLine(bytes.TrimPrefix(line[len(aggMagic):], []byte("k ")))
	}
	nums := make([]int64, len(f)-1)
	for i, t := range f[1:] {
		n, err := strconv.ParseInt(string(t), 10, 64)
		if err != nil {
			return errAgg
		}
		nums[i] = n
	}
	switch {
	case string(f[0]) == "sent" && len(nums) == 1 && nums[0] >= 0:
		d.sent.said, d.sent.ok = nums[0], true
	case string(f[0]) == "done" && len(nums) == 1:
		a := d.snapshot()
		a.Final = nums[0] == 1
		d.agg = nil
		d.settle(a)
		d.pending = append(d.pending, Event{Probe: -1, Goid: -1, Agg: a})
	case string(f[0]) == "a" && (len(nums) == 3 || len(nums) == 5):
		p, k := nums[0]/100, nums[0]%100
		if nums[0] < 0 || int(p) >= len(d.s.Probes) || k > 65 {
			return errAgg
		}
		a := d.snapshot()
		if k == 0 {
			a.counts[int(p)] = nums[1]
			return nil
		}
		l := d.latency(int(p))
		if nums[1] == 0 {
			// The BPF runtime's interval snapshots print every bucket.
			return nil
		}
		l.buckets[int(k-1)] = nums[1]
		l.Count += nums[1]
		l.Sum += nums[2]
		if len(nums) == 5 && nums[1] > 0 {
			if l.Min == nil || nums[3] < *l.Min {
				l.Min = &nums[3]
			}
			if l.Max == nil || nums[4] > *l.Max {
				l.Max = &nums[4]
			}
		}
	default:
		return errAgg
	}
	return nil
}

// snapshot is the snapshot being read, begun by its first line.
func (d *Decoder) snapshot() *Agg {
	if d.agg == nil {
		d.agg = &Agg{counts: map[int]int64{}, latency: map[int]*Latency{}, stats: map[int]*Stat{}}
	}
	return d.agg
}

func (d *Decoder) latency(p int) *Latency {
	l := d.agg.latency[p]
	if l == nil {
		l = &Latency{Function: d.s.Probes[p].Function, probe: p, buckets: map[int]int64{}}
		d.agg.latency[p] = l
	}
	return l
}

// settle turns a's maps into its ordered lists.
func (d *Decoder) settle(a *Agg) {
	for p := range d.s.Probes {
		if n, ok := a.counts[p]; ok {
			a.Counts = append(a.Counts, AggCount{Function: d.s.Probes[p].Function, Site: d.s.Probes[p].Site, Count: n})
		}
		if l, ok := a.latency[p]; ok {
			for b := 0; b <= 64; b++ {
				if n, ok := l.buckets[b]; ok {
					from := int64(0)
					if b > 0 {
						from = int64(1) << (b - 1)
					}
					l.Buckets = append(l.Buckets, Bucket{Bits: b, From: from, Count: n})
				}
			}
			a.Latency = append(a.Latency, l)
		}
		if st, ok := a.stats[p]; ok {
			st.settle()
			a.Stats = append(a.Stats, st)
		}
	}
	a.counts, a.latency, a.stats = nil, nil, nil
}
