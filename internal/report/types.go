package report

import "github.com/stapgen/stapgen/internal/event"

// TypeNamer says what a binary's type descriptor at link-time address
// addr is; ok is false for an address that holds none.
type TypeNamer func(addr uint64) (t event.DynType, ok bool)

// nameTypes names the dynamic types of the interfaces the BPF runtime
// printed as words (event.EncDynWords) before passing each event on.
type nameTypes struct {
	next  Sink
	s     *event.Schema
	name  TypeNamer
	close func() error
}

// NameTypes names each event's dynw interfaces with name before next sees
// it; close (nil for none) runs after next's Close, to release what name
// reads.
func NameTypes(next Sink, s *event.Schema, name TypeNamer, close func() error) Sink {
	return &nameTypes{next: next, s: s, name: name, close: close}
}

func (n *nameTypes) Event(e event.Event) error {
	if e.Probe >= 0 && e.Err == "" && e.Probe < len(n.s.Probes) {
		for i, fs := range n.s.Probes[e.Probe].Fields {
			if fs.Enc != event.EncDynWords || i >= len(e.Fields) || e.Fields[i].Missing || e.Fields[i].Go == nil || e.Fields[i].Go.TypeWord == 0 {
				continue
			}
			if t, ok := n.name(e.Fields[i].Go.TypeWord); ok {
				e.Fields[i].NameWords(t)
			}
		}
	}
	return n.next.Event(e)
}

func (n *nameTypes) Close() error {
	err := n.next.Close()
	if n.close != nil {
		if cerr := n.close(); err == nil {
			err = cerr
		}
	}
	return err
}

// Streams as next does: the names and parts it sets are new.
func (n *nameTypes) Streams() bool { return streams(n.next) }
