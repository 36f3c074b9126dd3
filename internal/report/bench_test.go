package report

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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

// BenchmarkSinks decodes records of the shapes the kernel runtime prints
// (a Go entry with a string and both backtraces, its return, a C entry
// with a user backtrace) into each output, its decoder reusing memory when
// the sink streams, as the run does. One op is one record;
// records/cpu-s divides by the process's CPU time, the GC's included.
func BenchmarkSinks(b *testing.B) {
	s := &event.Schema{Version: 1, Probes: []event.ProbeSchema{
		{Function: "main.Hit", Site: event.SiteEntry, Fields: []event.FieldSchema{
			{Name: "s", Enc: event.EncStr, Type: "string"}, {Name: "n", Enc: event.EncInt, Type: "int"},
			{Name: event.KernelStack, Enc: event.EncStack, Type: "stack"}, {Name: event.UserStack, Enc: event.EncStack, Type: "stack"}}},
		{Function: "main.Hit", Site: event.SiteReturn, Fields: []event.FieldSchema{{Name: "~r0", Enc: event.EncInt, Type: "int"}}},
		{Function: "hit", Site: event.SiteEntry, Fields: []event.FieldSchema{
			{Name: "s", Enc: event.EncStr, Type: "char const*"}, {Name: "n", Enc: event.EncInt, Type: "long int"},
			{Name: event.UserStack, Enc: event.EncStack, Type: "stack"}}},
	}}
	var in strings.Builder
	for i := 0; i < 3000; i++ {
		t, tid := 1796138519843746811+int64(i)*4321, 20000+i%7
		switch i % 4 {
		case 0, 1:
			fmt.Fprintf(&in, "@@sg1 0 %d 1 %d %d %d 15:474554202f696e6465782e68746d6c %d 0xffffffff81234567:do_sys_openat2,0xffffffff81c00126:entry_SYSCALL_64, 0x4a1260,0x4a15c5,0x43a2b%d\n", t, tid, tid, 1+i%50, i, i%3)
		case 2:
			fmt.Fprintf(&in, "@@sg1 1 %d 1 %d %d %d %d\n", t, tid, tid, 1+i%50, i)
		case 3:
			fmt.Fprintf(&in, "@@sg1 2 %d 0 %d %d - 4:6b657931 %d 0x4a1260,0x4a15c%d\n", t, tid, tid, -i, i%5)
		}
	}
	namer := func(_ event.Event, _ string, stack []uint64) []string {
		out := make([]string, len(stack))
		for i, a := range stack {
			out[i] = "0x" + strconv.FormatUint(a, 16)
		}
		return out
	}
	for _, c := range []struct {
		name string
		sink func(io.Writer) Sink
	}{
		{"json", func(w io.Writer) Sink { return NewJSON(w) }},
		{"table", func(w io.Writer) Sink { return NewText(w, s, TextOptions{}) }},
		{"summary", func(w io.Writer) Sink { return NewSummary(w, s, SummaryOptions{}) }},
		{"folded", func(w io.Writer) Sink { return NewFolded(w, s, namer) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			sink := c.sink(io.Discard)
			d := event.NewDecoder(&cycle{data: []byte(in.String())}, s)
			if streams(sink) {
				d.Reuse()
			}
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
				sink.Event(e)
			}
			sink.Close()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/(cpuTime()-cpu0).Seconds(), "records/cpu-s")
		})
	}
}

// cycle reads data over and over.
type cycle struct {
	data []byte
	off  int
}

func (c *cycle) Read(p []byte) (int, error) {
	n := copy(p, c.data[c.off:])
	c.off = (c.off + n) % len(c.data)
	return n, nil
}

func cpuTime() time.Duration {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
