package event

import (
	"io"
	"syscall"
	"testing"
	"time"
)

// BenchmarkDecodeJSON decodes the corpus's records and writes each one's
// JSON into a reused buffer, as the run's JSON output does. One op is one
// record, so ns/op and allocs/op are per record. records/cpu-s divides by
// the process's CPU time (user+sys, the GC's included), which a loaded
// machine inflates far less than wall time. "kept" events are the
// caller's to keep; "reused" is the run's JSON output (Decoder.Reuse).
func BenchmarkDecodeJSON(b *testing.B) {
	for _, c := range corpora(b) {
		for _, mode := range []string{"kept", "reused"} {
			b.Run(c.name+"/"+mode, func(b *testing.B) { benchDecodeJSON(b, c.s, c.in, mode == "reused") })
		}
	}
}

func benchDecodeJSON(b *testing.B, s *Schema, in []byte, reuse bool) {
	d := NewDecoder(&cycle{data: in}, s)
	if reuse {
		d.Reuse()
	}
	var out []byte
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for n := 0; n < b.N; {
		e, err := d.Next()
		if err != nil {
			b.Fatal(err)
		}
		if e.Probe >= 0 {
			n++
		}
		out = append(e.AppendJSON(out[:0]), '\n')
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(b.N)/(cpuTime()-cpu0).Seconds(), "records/cpu-s")
}

// cycle reads data over and over.
type cycle struct {
	data []byte
	off  int
}

func (c *cycle) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.data[c.off:])
	c.off = (c.off + n) % len(c.data)
	return n, nil
}

func cpuTime() time.Duration {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
