package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stapgen/stapgen/internal/event"
)

// Sink consumes events.
type Sink interface {
	Event(event.Event) error
	// Close flushes; a summary prints then.
	Close() error
}

// TextOptions tune the table.
type TextOptions struct {
	// Color adds ANSI colours; the caller decides (a terminal, no NO_COLOR).
	Color bool
}

type text struct {
	w *bufio.Writer
	o TextOptions
}

// NewText writes one aligned line per event.
func NewText(w io.Writer, s *event.Schema, o TextOptions) Sink {
	return &text{w: bufio.NewWriterSize(w, 64<<10), o: o}
}

const (
	dim   = "\033[2m"
	bold  = "\033[1m"
	red   = "\033[31m"
	reset = "\033[0m"
)

func (t *text) paint(c, s string) string {
	if !t.o.Color {
		return s
	}
	return c + s + reset
}

func clock(ns int64) string {
	return time.Unix(0, ns).UTC().Format("15:04:05.000000")
}

func (t *text) Event(e event.Event) error {
	if e.Host != "" {
		t.w.WriteString(t.paint(dim, "["+e.Host+"] "))
	}
	switch {
	case e.Agg != nil:
		writeAggText(t.w, e.Agg)
	case e.Err != "":
		fmt.Fprintf(t.w, "%s %s\n", t.paint(red, "! "+e.Err+":"), e.Raw)
	case e.Probe < 0:
		fmt.Fprintf(t.w, "%s\n", t.paint(dim, "| "+e.Raw))
	default:
		g := ""
		if e.Goid >= 0 {
			g = fmt.Sprintf(" g=%d", e.Goid)
		}
		var b strings.Builder
		for _, f := range e.Fields {
			b.WriteString(" ")
			b.WriteString(f.Name)
			b.WriteString("=")
			b.WriteString(f.String())
		}
		fmt.Fprintf(t.w, "%s %6d/%-6d%s %s %-6s%s\n", clock(e.Time), e.PID, e.TID, g, t.paint(bold, e.Function), e.Site, b.String())
	}
	return nil
}

func (t *text) Flush() error { return t.w.Flush() }

func (t *text) Streams() bool { return true }

func (t *text) Close() error { return t.w.Flush() }

type jsonSink struct {
	w   *bufio.Writer
	buf []byte
}

// NewJSON writes one JSON object per event.
func NewJSON(w io.Writer) Sink { return &jsonSink{w: bufio.NewWriterSize(w, 64<<10)} }

func (j *jsonSink) Event(e event.Event) error {
	if e.Agg != nil {
		return writeAggJSON(j.w, e.Agg)
	}
	j.buf = append(e.AppendJSON(j.buf[:0]), '\n')
	_, err := j.w.Write(j.buf)
	return err
}

func (j *jsonSink) Flush() error { return j.w.Flush() }

// Streams: an event is written out before Event returns (event.Streamer).
func (j *jsonSink) Streams() bool { return true }

func (j *jsonSink) Close() error { return j.w.Flush() }

type multi []Sink

// Multi sends every event to each sink.
func Multi(sinks ...Sink) Sink { return multi(sinks) }

func (m multi) Event(e event.Event) error {
	for _, s := range m {
		if err := s.Event(e); err != nil {
			return err
		}
	}
	return nil
}

// Streams when every sink does.
func (m multi) Streams() bool {
	for _, s := range m {
		if !streams(s) {
			return false
		}
	}
	return true
}

func streams(s Sink) bool {
	st, ok := s.(event.Streamer)
	return ok && st.Streams()
}

func (m multi) Close() error {
	var first error
	for _, s := range m {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
