package report

import "github.com/stapgen/stapgen/internal/event"

// nameFrames sets the Frames of every backtrace value before passing the
// event on, so table and JSON output show function names, not addresses.
type nameFrames struct {
	next Sink
	s    *event.Schema
	name Namer
}

// NameFrames names the backtraces of each event with name (which returns
// "" for a frame it cannot name) before next sees it.
func NameFrames(next Sink, s *event.Schema, name Namer) Sink {
	return &nameFrames{next: next, s: s, name: name}
}

func (n *nameFrames) Event(e event.Event) error {
	if e.Probe >= 0 && e.Err == "" && e.Probe < len(n.s.Probes) {
		for i, fs := range n.s.Probes[e.Probe].Fields {
			if fs.Enc == event.EncStack && i < len(e.Fields) && !e.Fields[i].Missing {
				e.Fields[i].Frames = n.name(e, fs.Name, e.Fields[i].Stack)
			}
		}
	}
	return n.next.Event(e)
}

func (n *nameFrames) Close() error { return n.next.Close() }
