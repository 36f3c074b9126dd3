package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/stapgen/stapgen/internal/event"
)

// writeAggJSON writes a statistics snapshot as one JSON line.
func writeAggJSON(w io.Writer, a *event.Agg) error {
	b, err := json.Marshal(struct {
		Agg *event.Agg `json:"aggregate"`
	}{a})
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// writeAggText prints a statistics snapshot: counts, then each function's
// latency with a histogram drawn like stap's @hist_log.
func writeAggText(w io.Writer, a *event.Agg) {
	what := "statistics so far"
	if a.Final {
		what = "statistics (computed in stap)"
	}
	fmt.Fprintf(w, "\n%s\n", what)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range a.Counts {
		fmt.Fprintf(tw, "  %s %s\t%d\n", c.Function, c.Site, c.Count)
	}
	tw.Flush()
	writeStatsText(w, a.Stats)
	for _, l := range a.Latency {
		avg := int64(0)
		if l.Count > 0 {
			avg = l.Sum / l.Count
		}
		if l.Min != nil && l.Max != nil {
			fmt.Fprintf(w, "\nlatency of %s: %d calls, min %s, avg %s, max %s\n", l.Function, l.Count, human(*l.Min), human(avg), human(*l.Max))
		} else {
			fmt.Fprintf(w, "\nlatency of %s: %d calls, avg %s\n", l.Function, l.Count, human(avg))
		}
		var most int64
		for _, b := range l.Buckets {
			most = max(most, b.Count)
		}
		if most == 0 {
			continue
		}
		fmt.Fprintf(w, "%12s |%-50s %s\n", "value (ns)", strings.Repeat("-", 50), "count")
		next := -1
		for _, b := range l.Buckets {
			if next >= 0 && b.Bits > next {
				fmt.Fprintf(w, "%12s |%-50s\n", "~", "")
			}
			next = b.Bits + 1
			bar := int(b.Count * 50 / most)
			if bar == 0 {
				bar = 1
			}
			fmt.Fprintf(w, "%12d |%-50s %d\n", b.From, strings.Repeat("@", bar), b.Count)
		}
	}
}
