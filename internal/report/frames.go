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
				e.Fields[i].Frames = frames(e.Fields[i], n.name(e, fs.Name, e.Fields[i].Stack))
			}
		}
	}
	return n.next.Event(e)
}

func (n *nameFrames) Close() error { return n.next.Close() }

// Streams as next does: the frames it sets are new slices.
func (n *nameFrames) Streams() bool { return streams(n.next) }

// frames are the names of v's frames: those stap gave in the record (the
// kernel's, from the guest's own symbols) first, then named's for the rest.
func frames(v event.Value, named []string) []string {
	if v.Frames == nil {
		return named
	}
	out := make([]string, len(v.Stack))
	for i := range out {
		if i < len(v.Frames) && v.Frames[i] != "" {
			out[i] = v.Frames[i]
		} else if i < len(named) {
			out[i] = named[i]
		}
	}
	return out
}
