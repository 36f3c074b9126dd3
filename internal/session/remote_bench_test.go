package session

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stapgen/stapgen/internal/event"
)

// BenchmarkRemoteDecode is one host's stream of a run with --remote:
// records decoded and tagged with their host, into a JSON sink shared
// by the hosts (locked, streaming, as --format json's is). One op is one
// record; records/cpu-s divides by the process's CPU time, the GC's
// included.
func BenchmarkRemoteDecode(b *testing.B) {
	s := &event.Schema{Version: 1, Probes: []event.ProbeSchema{{Function: "main.Hit", Site: event.SiteEntry, Fields: []event.FieldSchema{
		{Name: "s", Enc: event.EncStr, Type: "string"}, {Name: "n", Enc: event.EncInt, Type: "int"},
		{Name: event.UserStack, Enc: event.EncStack, Type: "stack"}}}}}
	var in strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&in, "@@sg1 0 %d 1 4000 %d %d 15:474554202f696e6465782e68746d6c %d 0x4a1260,0x4a15c5,0x43a2b%d\n", 1796138519843746811+int64(i)*3000, 4000+i%5, 1+i%40, i, i%7)
	}
	data := []byte(strings.Repeat(in.String(), 50))
	sink := &jsonOut{}
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	n := 0
	for n < b.N {
		c, err := Decode(bytes.NewReader(data), s, hostSink{"host1", sink})
		k := c.Records
		if err != nil {
			b.Fatal(err)
		}
		n += k
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/(cpuTime()-cpu0).Seconds(), "records/cpu-s")
}

// jsonOut writes each event's JSON line over the last, as the JSON sink
// does, locked for the hosts' goroutines.
type jsonOut struct {
	mu  sync.Mutex
	buf []byte
}

func (j *jsonOut) Event(e event.Event) error {
	j.mu.Lock()
	j.buf = append(e.AppendJSON(j.buf[:0]), '\n')
	j.mu.Unlock()
	return nil
}

func (j *jsonOut) Streams() bool { return true }

func cpuTime() time.Duration {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
