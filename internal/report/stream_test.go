package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stapgen/stapgen/internal/event"
)

// TestStreamingSinksKeepNothing: the sinks that say they stream (and so
// let the run's decoder write each record over the last) print the same
// with a reusing decoder as with one whose events are kept: table, JSON
// and the summary with --top, live and behind NameFrames.
func TestStreamingSinksKeepNothing(t *testing.T) {
	sinks := func(w *bytes.Buffer) Sink {
		s := Multi(NewText(w, schema, TextOptions{}), NewJSON(w), NewSummary(w, schema, SummaryOptions{Top: "s"}))
		return NameFrames(Live(s, time.Hour), schema, func(event.Event, string, []uint64) []string { return nil })
	}
	out := func(reuse bool) string {
		var w bytes.Buffer
		s := sinks(&w)
		if st, ok := s.(event.Streamer); !ok || !st.Streams() {
			t.Fatal("table, JSON and summary sinks do not stream")
		}
		d := event.NewDecoder(strings.NewReader(strings.Repeat(input, 3)), schema)
		if reuse {
			d.Reuse()
		}
		for {
			e, err := d.Next()
			if err != nil {
				break
			}
			if err := s.Event(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		return w.String()
	}
	kept, reused := out(false), out(true)
	if kept != reused {
		t.Errorf("reusing decoder:\n%s\nkeeping:\n%s", reused, kept)
	}
	if !strings.Contains(kept, `"hello"`) || !strings.Contains(kept, `"abc"`) {
		t.Errorf("output lacks the strings:\n%s", kept)
	}
}

// TestFoldedStreams: folded output says it streams, and from a reusing
// decoder it counts what the input was made of, the same as from events
// kept until the end; a stack seen before is not named again, and two
// stacks whose frames have the same names are one line.
func TestFoldedStreams(t *testing.T) {
	s := &event.Schema{Version: 1, Probes: []event.ProbeSchema{
		{Function: "xmalloc", Site: event.SiteEntry, Fields: []event.FieldSchema{
			{Name: "n", Enc: event.EncInt}, {Name: event.KernelStack, Enc: event.EncStack}, {Name: event.UserStack, Enc: event.EncStack}}},
		{Function: "xmalloc", Site: event.SiteReturn, Fields: []event.FieldSchema{{Name: "~r0", Enc: event.EncInt}}},
	}}
	shapes := []string{
		"- 0x401000,0x402000",
		"0xffffffff81000010:do_sys,0xffffffff81000020:entry_SYSCALL, 0x401000,0x403000",
		"0xffffffff81000030:vfs_read, !",
		"- 0x401000,0x402008", // other addresses, the same names as the first
	}
	var in strings.Builder
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&in, "@@sg1 0 %d 0 7 7 - %d %s\n", 1000+i, i, shapes[i%4])
		if i%10 == 0 {
			fmt.Fprintf(&in, "@@sg1 1 %d 0 7 7 - 0\nthe program's line\n", 1000+i)
		}
	}
	names := map[uint64]string{0x401000: "xmalloc", 0x402000: "main", 0x402008: "main", 0x403000: "odd;name x"}
	want := "main;xmalloc 200\nodd:name_x;xmalloc;entry_SYSCALL_[k];do_sys_[k] 100\nvfs_read_[k] 100\n"
	out := func(reuse bool) (string, int) {
		calls := 0
		namer := func(e event.Event, field string, stack []uint64) []string {
			calls++
			out := make([]string, len(stack))
			for i, a := range stack {
				out[i] = names[a]
			}
			return out
		}
		var w bytes.Buffer
		f := NewFolded(&w, s, namer)
		if st, ok := f.(event.Streamer); !ok || !st.Streams() {
			t.Fatal("folded output does not stream")
		}
		d := event.NewDecoder(strings.NewReader(in.String()), s)
		var kept []event.Event
		if reuse {
			d.Reuse()
		}
		for {
			e, err := d.Next()
			if err != nil {
				break
			}
			if reuse {
				f.Event(e)
			} else {
				kept = append(kept, e)
			}
		}
		for _, e := range kept {
			f.Event(e)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return w.String(), calls
	}
	for _, reuse := range []bool{false, true} {
		got, calls := out(reuse)
		if got != want {
			t.Errorf("reuse %v: got\n%s\nwant\n%s", reuse, got, want)
		}
		// Each of the four shapes' two stacks, once.
		if calls != 8 {
			t.Errorf("reuse %v: the namer was called %d times, want 8", reuse, calls)
		}
	}
}

// TestLiveFlushesAnEventAfterQuiet: the first event of a run reaches the
// output at once, not at the next tick of the flush clock; the events
// right after it wait for the clock (or Close), so a fast trace still
// makes one write per period, not one per event.
func TestLiveFlushesAnEventAfterQuiet(t *testing.T) {
	var w bytes.Buffer
	l := Live(NewJSON(&w), time.Hour)
	d := event.NewDecoder(strings.NewReader(input), schema)
	next := func() {
		e, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	next()
	if n := strings.Count(w.String(), "\n"); n != 1 {
		t.Fatalf("after the first event, %d lines written, want 1", n)
	}
	next()
	next()
	if n := strings.Count(w.String(), "\n"); n != 1 {
		t.Errorf("events right after the first were flushed each (%d lines written)", n)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(w.String(), "\n"); n != 3 {
		t.Errorf("after Close, %d lines written, want 3", n)
	}
}
