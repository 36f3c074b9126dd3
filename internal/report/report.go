package report

import (
	"bufio"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

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
	// line is the line being written, reused: formatting each through
	// fmt and a string per value was most of the table's time.
	line []byte
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

// appendPaint appends the parts of s, painted c.
func (t *text) appendPaint(b []byte, c string, s ...string) []byte {
	if t.o.Color {
		b = append(b, c...)
	}
	for _, p := range s {
		b = append(b, p...)
	}
	if t.o.Color {
		b = append(b, reset...)
	}
	return b
}

// appendClock writes the time of day as "15:04:05.000000" formats it
// (the fraction cut, not rounded), without the layout's parsing.
func appendClock(b []byte, ns int64) []byte {
	t := time.Unix(0, ns).UTC()
	h, m, s := t.Clock()
	us := t.Nanosecond() / 1000
	return append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10), '.',
		byte('0'+us/100000), byte('0'+us/10000%10), byte('0'+us/1000%10), byte('0'+us/100%10), byte('0'+us/10%10), byte('0'+us%10))
}

func (t *text) Event(e event.Event) error {
	b := t.line[:0]
	if e.Host != "" {
		b = t.appendPaint(b, dim, "[", e.Host, "] ")
	}
	switch {
	case e.Agg != nil:
		t.w.Write(b)
		writeAggText(t.w, e.Agg)
		t.line = b
		return nil
	case e.Err != "":
		b = t.appendPaint(b, red, "! ", e.Err, ":")
		b = append(append(append(b, ' '), e.Raw...), '\n')
	case e.Probe < 0:
		b = append(t.appendPaint(b, dim, "| ", e.Raw), '\n')
	default:
		// As fmt's "%s %6d/%-6d%s %s %-6s%s\n" wrote it.
		b = append(appendClock(b, e.Time), ' ')
		b = appendPadded(b, e.PID, 6, false)
		b = append(b, '/')
		b = appendPadded(b, e.TID, 6, true)
		if e.Goid >= 0 {
			b = strconv.AppendInt(append(b, " g="...), e.Goid, 10)
		}
		b = append(t.appendPaint(append(b, ' '), bold, e.Function), ' ')
		b = append(b, e.Site...)
		for n := utf8.RuneCountInString(string(e.Site)); n < 6; n++ {
			b = append(b, ' ')
		}
		for i := range e.Fields {
			f := &e.Fields[i]
			b = append(append(append(b, ' '), f.Name...), '=')
			b = f.AppendText(b)
		}
		b = append(b, '\n')
	}
	t.line = b
	_, err := t.w.Write(b)
	return err
}

// appendPadded writes n in at least width bytes, spaces before (after
// when left), as fmt's %6d and %-6d do.
func appendPadded(b []byte, n, width int, left bool) []byte {
	start := len(b)
	b = strconv.AppendInt(b, int64(n), 10)
	pad := width - (len(b) - start)
	if pad <= 0 {
		return b
	}
	for range pad {
		b = append(b, ' ')
	}
	if !left {
		copy(b[start+pad:], b[start:len(b)-pad])
		for k := start; k < start+pad; k++ {
			b[k] = ' '
		}
	}
	return b
}

func (t *text) Flush() error { return t.w.Flush() }

func (t *text) Streams() bool { return true }

func (t *text) Close() error { return t.w.Flush() }

type jsonSink struct {
	w io.Writer
	// buf holds the lines not yet written, written out once it passes
	// jsonBuf: appending each event's JSON here, not into a line copied
	// into a bufio.Writer, saves copying every byte once more (a
	// twentieth of decoding kernel records to JSON).
	buf []byte
	err error // the first write's error, returned from then on
}

const jsonBuf = 64 << 10

// NewJSON writes one JSON object per event.
func NewJSON(w io.Writer) Sink { return &jsonSink{w: w} }

func (j *jsonSink) Event(e event.Event) error {
	if j.err != nil {
		return j.err
	}
	if e.Agg != nil {
		if err := j.Flush(); err != nil {
			return err
		}
		return writeAggJSON(j.w, e.Agg)
	}
	j.buf = append(e.AppendJSON(j.buf), '\n')
	if len(j.buf) >= jsonBuf {
		return j.Flush()
	}
	return nil
}

func (j *jsonSink) Flush() error {
	if j.err == nil && len(j.buf) > 0 {
		_, j.err = j.w.Write(j.buf)
	}
	j.buf = j.buf[:0]
	return j.err
}

// Streams: an event is written out before Event returns (event.Streamer).
func (j *jsonSink) Streams() bool { return true }

func (j *jsonSink) Close() error { return j.Flush() }

type multi []Sink

// Multi sends every event to each sink. A lone sink is handed back as it
// is: each layer between the decoder and the sink copies the 160-byte
// Event once more, through one more interface call.
func Multi(sinks ...Sink) Sink {
	if len(sinks) == 1 {
		return sinks[0]
	}
	return multi(sinks)
}

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
