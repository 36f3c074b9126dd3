package event

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestMissing: a BPF script's end says how many records it printed; the
// decoder tells how many of them never came (a full perf buffer, or
// stapbpf exiting before it read them), counting restart records, dropped repeats and cut
// records as come. The pieces are as stapbpf printed them (a run's --save).
func TestMissing(t *testing.T) {
	s := &Schema{Version: 1, Chunked: true, Probes: []ProbeSchema{
		{Function: "main.F", Site: SiteEntry, Fields: []FieldSchema{{Name: "n", Enc: EncInt}}, Restart: []uint64{0x1080, 0x10a0}},
		{Function: "runtime.copystack", Site: SiteRestart, Fields: []FieldSchema{{Name: "pc", Enc: EncPtr}}},
	}}
	entry := func(ts, n int) string { return fmt.Sprintf("\x1f0|@@sg1 0 %d 0 1 7 - %d\n\x1e", ts, n) }
	restart := fmt.Sprintf("\x1f0|@@sg1 1 3 0 1 7 - 0x%x\n\x1e", 0x1090)
	cut := "\x1f1|@@sg1 0 9 1 1 8 -\x1e"
	sent := func(n int) string { return fmt.Sprintf("\x1f5535|@@sga sent %d\n\x1e", n) }
	all := entry(1, 2) + entry(2, 1) + restart + entry(4, 1) + cut + entry(5, 0)
	for _, c := range []struct {
		name    string
		in      string
		events  int
		missing int64
	}{
		{"all came", all + sent(6), 4, 0},
		{"two never came", all + sent(8), 4, 2},
		{"count before the last records", entry(1, 2) + sent(3) + entry(2, 1), 2, 1},
		{"no count (kernel runtime, stopped early)", all, 4, 0},
	} {
		d := NewDecoder(strings.NewReader(c.in), s)
		events := 0
		for {
			_, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			events++
		}
		if events != c.events || d.Missing() != c.missing {
			t.Errorf("%s: %d events, %d missing; want %d, %d", c.name, events, d.Missing(), c.events, c.missing)
		}
	}
}
