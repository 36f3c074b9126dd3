package report

import (
	"fmt"
	"io"
	"math/bits"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/stapgen/stapgen/internal/event"
)

// maxOpen bounds the entries waiting for their return, so memory stays flat
// when returns are never seen (entry-only probes, a lost record).
const maxOpen = 1 << 16

type key struct {
	fn     string
	pid    int
	thread int64 // goroutine id for Go, thread id otherwise
}

type stats struct {
	n             int64
	min, max, sum int64
	buckets       [64]int64 // log2 of latency in ns
}

func (s *stats) add(ns int64) {
	if ns < 0 {
		return
	}
	if s.n == 0 || ns < s.min {
		s.min = ns
	}
	if ns > s.max {
		s.max = ns
	}
	s.n++
	s.sum += ns
	s.buckets[bits.Len64(uint64(ns))]++
}

// countKey is one probe's function and site.
type countKey struct {
	fn   string
	site event.Site
}

type summary struct {
	w        io.Writer
	json     bool
	showAggs bool
	counts   map[countKey]int64
	open     map[key][]int64 // entry times, innermost last (recursion)
	nOpen    int
	lat      map[string]*stats
	raw      int
	errs     int
	// top counts the values of one field, when asked.
	topField string
	top      map[string]int64
}

// SummaryOptions tune the summary.
type SummaryOptions struct {
	// Top names a field whose most frequent values are listed.
	Top string
	// JSON prints the summary as one JSON object.
	JSON bool
	// ShowAggs prints the script's statistics snapshots (when no event
	// output does).
	ShowAggs bool
}

// maxDistinct bounds the values counted for --top.
const maxDistinct = 100000

// NewSummary prints counts per probe and, where entries and returns pair
// (by goroutine for Go, by thread otherwise), latency histograms, at Close.
func NewSummary(w io.Writer, s *event.Schema, o ...SummaryOptions) Sink {
	sum := &summary{w: w, counts: map[countKey]int64{}, open: map[key][]int64{}, lat: map[string]*stats{}, top: map[string]int64{}}
	if len(o) > 0 {
		sum.topField, sum.json, sum.showAggs = o[0].Top, o[0].JSON, o[0].ShowAggs
	}
	return sum
}

// Streams: what the summary keeps of an event is copied (counts, times,
// the --top field's text).
func (s *summary) Streams() bool { return true }

func (s *summary) Event(e event.Event) error {
	switch {
	case e.Agg != nil:
		// The script's own statistics: printed by the event outputs.
		if s.showAggs {
			writeAggText(s.w, e.Agg)
		}
		return nil
	case e.Err != "":
		s.errs++
		return nil
	case e.Probe < 0:
		s.raw++
		return nil
	}
	s.counts[countKey{e.Function, e.Site}]++
	if s.topField != "" {
		for _, f := range e.Fields {
			if f.Name == s.topField {
				v := f.String()
				if _, ok := s.top[v]; ok || len(s.top) < maxDistinct {
					s.top[v]++
				}
			}
		}
	}
	k := key{fn: e.Function, pid: e.PID, thread: int64(e.TID)}
	if e.Goid >= 0 {
		k.thread = -1 - e.Goid
	}
	switch e.Site {
	case event.SiteEntry:
		if s.nOpen < maxOpen {
			s.open[k] = append(s.open[k], e.Time)
			s.nOpen++
		}
	case event.SiteReturn:
		st := s.open[k]
		if len(st) == 0 {
			return nil
		}
		t0 := st[len(st)-1]
		if len(st) == 1 {
			delete(s.open, k)
		} else {
			s.open[k] = st[:len(st)-1]
		}
		s.nOpen--
		l := s.lat[e.Function]
		if l == nil {
			l = &stats{}
			s.lat[e.Function] = l
		}
		l.add(e.Time - t0)
	}
	return nil
}

func human(ns int64) string {
	switch {
	case ns < 1e3:
		return fmt.Sprintf("%dns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.1fµs", float64(ns)/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.1fms", float64(ns)/1e6)
	}
	return fmt.Sprintf("%.2fs", float64(ns)/1e9)
}

// topValue is one value of the --top field and its count.
type topValue struct {
	v string
	n int64
}

// topValues are the n most frequent values, most first.
func (s *summary) topValues(n int) []topValue {
	var all []topValue
	for v, c := range s.top {
		all = append(all, topValue{v, c})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n > all[j].n || all[i].n == all[j].n && all[i].v < all[j].v })
	if len(all) > n {
		all = all[:n]
	}
	return all
}

// bucketFrom is the lower bound of log2 latency bucket i.
func bucketFrom(i int) int64 {
	if i == 0 {
		return 0
	}
	return 1 << (i - 1)
}

func (s *summary) Close() error {
	if s.json {
		return s.closeJSON()
	}
	if len(s.counts) == 0 && s.raw == 0 && s.errs == 0 && s.showAggs {
		// Only the script's statistics came, and they are printed.
		return nil
	}
	fmt.Fprintln(s.w, "\nsummary")
	tw := tabwriter.NewWriter(s.w, 0, 4, 2, ' ', 0)
	var names []countKey
	for k := range s.counts {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		return names[i].fn+" "+string(names[i].site) < names[j].fn+" "+string(names[j].site)
	})
	for _, n := range names {
		fmt.Fprintf(tw, "  %s %s\t%d\n", n.fn, n.site, s.counts[n])
	}
	if s.raw > 0 || s.errs > 0 {
		fmt.Fprintf(tw, "  other lines\t%d\n  malformed records\t%d\n", s.raw, s.errs)
	}
	tw.Flush()
	if len(s.top) > 0 {
		fmt.Fprintf(s.w, "\ntop values of %s\n", s.topField)
		tw := tabwriter.NewWriter(s.w, 0, 4, 2, ' ', 0)
		for _, x := range s.topValues(10) {
			fmt.Fprintf(tw, "  %d\t%s\n", x.n, x.v)
		}
		tw.Flush()
	}
	var fns []string
	for f := range s.lat {
		fns = append(fns, f)
	}
	sort.Strings(fns)
	for _, f := range fns {
		l := s.lat[f]
		fmt.Fprintf(s.w, "\nlatency of %s: %d calls, min %s, avg %s, max %s\n", f, l.n, human(l.min), human(l.sum/l.n), human(l.max))
		s.histogram(l)
	}
	return nil
}

// histogram draws log2 buckets like stap's @hist_log.
func (s *summary) histogram(l *stats) {
	lo, hi := -1, 0
	var most int64
	for i, c := range l.buckets {
		if c > 0 {
			if lo < 0 {
				lo = i
			}
			hi = i
			if c > most {
				most = c
			}
		}
	}
	if lo < 0 {
		return
	}
	fmt.Fprintf(s.w, "%12s |%-50s %s\n", "value (ns)", strings.Repeat("-", 50), "count")
	for i := lo; i <= hi; i++ {
		from := bucketFrom(i)
		bar := int(l.buckets[i] * 50 / most)
		if l.buckets[i] > 0 && bar == 0 {
			bar = 1
		}
		fmt.Fprintf(s.w, "%12d |%-50s %d\n", from, strings.Repeat("@", bar), l.buckets[i])
	}
}
