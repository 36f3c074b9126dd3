package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/event"
)

// TestStatsTextAndJSON: the stat lines of both runtimes, decoded, print
// as one table per statistic (a row per key, "-" for the extremes stapbpf
// does not report) and as one JSON line per snapshot.
func TestStatsTextAndJSON(t *testing.T) {
	s := &event.Schema{Version: 1, Probes: []event.ProbeSchema{
		{Function: "weigh", Site: event.SiteEntry, Stat: &event.StatSchema{Kind: "sum", Value: "v", Key: "k"}},
		{Function: "greet", Site: event.SiteEntry, Stat: &event.StatSchema{Kind: "count", Key: "who"}},
		{Function: "weigh", Site: event.SiteReturn, Stat: &event.StatSchema{Kind: "latency", Key: "return"}},
		{Function: "read", Site: event.SiteEntry, Stat: &event.StatSchema{Kind: "sum", Value: "len"}},
	}}
	in := "@@sga k 0 8 -40 i 7\n@@sga k 0 7 350 i 6\n" +
		"@@sga k 1 3 3 1 1 s beta two\n@@sga k 1 2 2 1 1 !\n" +
		"@@sga k 2 4 4000 500 2000 i 1\n" +
		"@@sga k 3 20 250 -\n@@sga done 1\n"
	var text, js bytes.Buffer
	for _, sink := range []Sink{NewText(&text, s, TextOptions{}), NewJSON(&js)} {
		d := event.NewDecoder(strings.NewReader(in), s)
		for {
			e, err := d.Next()
			if err != nil {
				break
			}
			if err := sink.Event(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := sink.Close(); err != nil {
			t.Fatal(err)
		}
	}
	golden(t, "stats.golden", append(text.Bytes(), js.Bytes()...))
}
