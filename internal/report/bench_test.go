package report

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/event"
)

// BenchmarkDecodeToJSON is the run's hot path end to end: stap's records
// decoded and written as JSON lines to a file (/dev/null: the cost of the
// writes, not of a disk).
func BenchmarkDecodeToJSON(b *testing.B) {
	s := &event.Schema{Version: 1, Probes: []event.ProbeSchema{{Function: "main.Handle", Site: event.SiteEntry, Fields: []event.FieldSchema{
		{Name: "s", Enc: event.EncStr, Type: "string"}, {Name: "a", Enc: event.EncInt, Type: "int"},
		{Name: "b", Enc: event.EncInt, Type: "int"}, {Name: "p", Enc: event.EncPtr, Type: "*T"}}}}}
	line := "@@sg1 0 1795532700597540176 1 12468 12468 1 11:68656c6c6f20776f726c64 42 -7 0xc000012345\n"
	data := []byte(strings.Repeat(line, 10000))
	out, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		sink := NewJSON(out)
		d := event.NewDecoder(bytes.NewReader(data), s)
		if streams(sink) {
			d.Reuse() // as the run does
		}
		for {
			e, err := d.Next()
			if err != nil {
				break
			}
			sink.Event(e)
			n++
		}
		sink.Close()
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
