package report

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/stapgen/stapgen/internal/event"
)

// Namer names the frames of a backtrace field of e, innermost first. It
// must keep neither e nor stack: the decoder may write the next record
// over them.
type Namer func(e event.Event, field string, stack []uint64) []string

// folded aggregates backtraces into the folded-stack format flame-graph
// tools read (flamegraph.pl, speedscope, inferno): one line per distinct
// stack, frames root first joined by ';', then the count.
type folded struct {
	w    io.Writer
	s    *event.Schema
	name Namer
	// counts are per folded line; other is the stacks past maxDistinct,
	// counted together.
	counts map[string]*int64
	other  int64
	// seen maps a record's stacks as decoded (its raw key) to the count
	// of its folded line, so a stack seen before is counted without being
	// named and joined again: naming and joining were most of the sink's
	// time, and stacks repeat (that is what the output is for).
	seen map[string]*int64
	raw  []byte
}

// NewFolded counts the stacks of every record that has a backtrace field.
// A record with both puts its kernel frames (suffixed "_[k]", the flame
// graph convention) above its user frames. The probed function is the
// leaf. name is called once per distinct stack a probe records.
func NewFolded(w io.Writer, s *event.Schema, name Namer) Sink {
	return &folded{w: w, s: s, name: name, counts: map[string]*int64{}, seen: map[string]*int64{}}
}

func (f *folded) Event(e event.Event) error {
	if e.Probe < 0 || e.Err != "" || e.Probe >= len(f.s.Probes) {
		return nil
	}
	raw, have := f.rawKey(e)
	if !have {
		return nil
	}
	n := f.seen[string(raw)]
	if n == nil {
		n = f.count(f.key(e))
		if len(f.seen) < maxDistinct {
			f.seen[string(raw)] = n
		}
	}
	*n++
	return nil
}

// rawKey is what decides e's folded line: its probe and its stacks'
// addresses, and the frame names stap gave in the record; have is false
// when the probe records no stack.
func (f *folded) rawKey(e event.Event) (raw []byte, have bool) {
	raw = binary.AppendUvarint(f.raw[:0], uint64(e.Probe))
	for i, fs := range f.s.Probes[e.Probe].Fields {
		if fs.Enc != event.EncStack || i >= len(e.Fields) {
			continue
		}
		have = true
		v := &e.Fields[i]
		raw = binary.AppendUvarint(raw, uint64(i))
		raw = binary.AppendUvarint(raw, uint64(len(v.Stack)))
		for _, a := range v.Stack {
			raw = binary.LittleEndian.AppendUint64(raw, a)
		}
		if v.Frames == nil {
			raw = append(raw, 0)
			continue
		}
		raw = binary.AppendUvarint(raw, uint64(len(v.Frames))+1)
		for _, s := range v.Frames {
			raw = binary.AppendUvarint(raw, uint64(len(s)))
			raw = append(raw, s...)
		}
	}
	f.raw = raw
	return raw, have
}

// key is e's folded line, without its count.
func (f *folded) key(e event.Event) string {
	var user, kernel []string
	for i, fs := range f.s.Probes[e.Probe].Fields {
		if fs.Enc != event.EncStack || i >= len(e.Fields) {
			continue
		}
		names := frames(e.Fields[i], f.name(e, fs.Name, e.Fields[i].Stack))
		if fs.Name == "kernel_stack" {
			kernel = names
		} else {
			user = names
		}
	}
	var b strings.Builder
	sep := func() {
		if b.Len() > 0 {
			b.WriteByte(';')
		}
	}
	// stap lists frames innermost first; folded stacks are root first.
	for i := len(user) - 1; i >= 0; i-- {
		sep()
		b.WriteString(frameName(user[i]))
	}
	for i := len(kernel) - 1; i >= 0; i-- {
		sep()
		b.WriteString(frameName(kernel[i]) + "_[k]")
	}
	if b.Len() == 0 {
		b.WriteString(e.Function)
	}
	return b.String()
}

// count is the count of folded line k, other's once maxDistinct lines
// are counted.
func (f *folded) count(k string) *int64 {
	if n, ok := f.counts[k]; ok {
		return n
	}
	if len(f.counts) >= maxDistinct {
		return &f.other
	}
	n := new(int64)
	f.counts[k] = n
	return n
}

// Streams: what an event decides is copied out of it before Event
// returns (event.Streamer).
func (f *folded) Streams() bool { return true }

var frameSeps = strings.NewReplacer(";", ":", " ", "_", "\n", "_")

// frameName keeps the format's separators out of a name.
func frameName(s string) string { return frameSeps.Replace(s) }

func (f *folded) Close() error {
	keys := make([]string, 0, len(f.counts))
	for k := range f.counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	w := bufio.NewWriter(f.w)
	for _, k := range keys {
		fmt.Fprintf(w, "%s %d\n", k, *f.counts[k])
	}
	if f.other > 0 {
		fmt.Fprintf(w, "[other stacks] %d\n", f.other)
	}
	return w.Flush()
}
