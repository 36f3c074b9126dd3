package session

import (
	"io"

	"github.com/stapgen/stapgen/internal/event"
)

// Decode feeds every event of r to sink and returns the number of records
// (raw lines the traced program printed are events too, but not counted)
// and of entry records dropped as Go runtime restarts (event/restart.go).
func Decode(r io.Reader, s *event.Schema, sink Sink) (n, restarted int, err error) {
	return decodeMax(r, s, sink, 0, nil)
}

// decodeMax is Decode delivering at most max records (0: all); the rest
// are read and dropped. full, when set, is called once the max-th record
// is delivered.
func decodeMax(r io.Reader, s *event.Schema, sink Sink, max int, full func()) (n, restarted int, err error) {
	d := event.NewDecoder(r, s)
	if st, ok := sink.(event.Streamer); ok && st.Streams() {
		d.Reuse()
	}
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
			if n == max && full != nil {
				full()
			}
		}
		if err := sink.Event(ev); err != nil {
			return n, d.Restarted(), err
		}
	}
}
