package session

import (
	"io"

	"github.com/stapgen/stapgen/internal/event"
)

// Decode feeds every event of r to sink and returns the number of records
// (raw lines the traced program printed are events too, but not counted)
// and of entry records dropped as Go runtime restarts (event/restart.go).
func Decode(r io.Reader, s *event.Schema, sink Sink) (n, restarted int, err error) {
	return decodeMax(r, s, sink, 0)
}

// decodeMax is Decode delivering at most max records (0: all); the rest
// are read and dropped.
func decodeMax(r io.Reader, s *event.Schema, sink Sink, max int) (n, restarted int, err error) {
	d := event.NewDecoder(r, s)
	for {
		ev, err := d.Next()
		if err == io.EOF {
			return n, d.Restarted(), nil
		}
		if err != nil {
			return n, d.Restarted(), err
		}
		if ev.Probe >= 0 {
			if max > 0 && n >= max {
				continue
			}
			n++
		}
		if err := sink.Event(ev); err != nil {
			return n, d.Restarted(), err
		}
	}
}
