package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stapgen/stapgen/internal/event"
)

// TestStreamingSinksKeepNothing: the sinks that say they stream (and so
// let the run's decoder write each record over the last) print the same
// with a reusing decoder as with one whose events are kept: table, JSON
// and the summary with --top, live and behind NameFrames. Folded output
// keeps stacks and does not say it streams.
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
	if st, ok := NewFolded(&bytes.Buffer{}, schema, nil).(event.Streamer); ok && st.Streams() {
		t.Error("folded output keeps stacks but says it streams")
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
