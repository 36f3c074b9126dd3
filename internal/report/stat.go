package report

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/stapgen/stapgen/internal/event"
)

// writeStatsText prints each keyed or summed statistic as a table, one
// key a row, the most calls first.
func writeStatsText(w io.Writer, stats []*event.Stat) {
	for _, st := range stats {
		what := st.Kind
		unit := human
		switch st.Kind {
		case "sum":
			what = "sum of " + st.Value
			unit = func(n int64) string { return strconv.FormatInt(n, 10) }
		case "count":
			what = "calls"
		}
		if st.Key != "" {
			what += " by " + st.Key
		}
		fmt.Fprintf(w, "\n%s %s: %s\n", st.Function, st.Site, what)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		head := "  key\tcalls\t"
		if st.Key == "" {
			head = "  \tcalls\t"
		}
		if st.Kind != "count" {
			head += "sum\tmin\tavg\tmax\t"
		}
		fmt.Fprintln(tw, head)
		for _, k := range st.Keys {
			key := ""
			switch {
			case k.Unreadable:
				key = "!"
			case k.Key != nil:
				key = fmt.Sprint(k.Key)
				if s, ok := k.Key.(string); ok {
					key = strconv.Quote(s)
				}
			}
			row := fmt.Sprintf("  %s\t%d\t", key, k.Count)
			if st.Kind != "count" {
				row += fmt.Sprintf("%s\t%s\t%s\t%s\t", unit(k.Sum), opt(k.Min, unit), unit(k.Avg), opt(k.Max, unit))
			}
			fmt.Fprintln(tw, row)
		}
		tw.Flush()
	}
}

// opt prints an extreme the runtime may not report.
func opt(n *int64, f func(int64) string) string {
	if n == nil {
		return "-"
	}
	return f(*n)
}
