package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/stapgen/stapgen/internal/event"
)

// Namer names the frames of a backtrace field of e, innermost first.
type Namer func(e event.Event, field string, stack []uint64) []string

// folded aggregates backtraces into the folded-stack format flame-graph
// tools read (flamegraph.pl, speedscope, inferno): one line per distinct
// stack, frames root first joined by ';', then the count.
type folded struct {
	w      io.Writer
	s      *event.Schema
	name   Namer
	counts map[string]int64
	other  int64 // stacks past maxDistinct, counted together
}

// NewFolded counts the stacks of every record that has a backtrace field.
// A record with both puts its kernel frames (suffixed "_[k]", the flame
// graph convention) above its user frames. The probed function is the leaf.
func NewFolded(w io.Writer, s *event.Schema, name Namer) Sink {
	return &folded{w: w, s: s, name: name, counts: map[string]int64{}}
}

func (f *folded) Event(e event.Event) error {
	if e.Probe < 0 || e.Err != "" || e.Probe >= len(f.s.Probes) {
		return nil
	}
	var user, kernel []string
	have := false
	for i, fs := range f.s.Probes[e.Probe].Fields {
		if fs.Enc != event.EncStack || i >= len(e.Fields) {
			continue
		}
		have = true
		names := frames(e.Fields[i], f.name(e, fs.Name, e.Fields[i].Stack))
		if fs.Name == "kernel_stack" {
			kernel = names
		} else {
			user = names
		}
	}
	if !have {
		return nil
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
	k := b.String()
	if _, ok := f.counts[k]; !ok && len(f.counts) >= maxDistinct {
		f.other++
		return nil
	}
	f.counts[k]++
	return nil
}

// frameName keeps the format's separators out of a name.
func frameName(s string) string {
	return strings.NewReplacer(";", ":", " ", "_", "\n", "_").Replace(s)
}

func (f *folded) Close() error {
	keys := make([]string, 0, len(f.counts))
	for k := range f.counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	w := bufio.NewWriter(f.w)
	for _, k := range keys {
		fmt.Fprintf(w, "%s %d\n", k, f.counts[k])
	}
	if f.other > 0 {
		fmt.Fprintf(w, "[other stacks] %d\n", f.other)
	}
	return w.Flush()
}
