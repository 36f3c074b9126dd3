package session

import (
	"io"

	"github.com/stapgen/stapgen/internal/event"
)

// Decode feeds every event of r to sink and returns the number of records
// (raw lines the traced program printed are events too, but not counted)
// and of entry records dropped as Go runtime restarts (event/restart.go).
func Decode(r io.Reader, s *event.Schema, sink Sink) (n, restarted int, err error) {
	c, err := decodeMax(r, s, sink, 0, nil)
	return c.n, c.restarted, err
}

// decoded is what decodeMax counted: records delivered, entries dropped
// as restarts, and records the script said it printed that never came
// (event.Decoder.Missing).
type decoded struct {
	n, restarted int
	missing      int64
	// late are entries kept that repeat a restarted call
	// (event.Decoder.LateRestarts).
	late int
}

// decodeMax is Decode delivering at most max records (0: all); the rest
// are read and dropped. full, when set, is called once the max-th record
// is delivered.
func decodeMax(r io.Reader, s *event.Schema, sink Sink, max int, full func()) (decoded, error) {
	var n int
	d := event.NewDecoder(r, s)
	if st, ok := sink.(event.Streamer); ok && st.Streams() {
		d.Reuse()
	}
	for {
		ev, err := d.Next()
		if err == io.EOF {
			return decoded{n, d.Restarted(), d.Missing(), d.LateRestarts()}, nil
		}
		if err != nil {
			return decoded{n, d.Restarted(), 0, 0}, err
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
			return decoded{n, d.Restarted(), 0, 0}, err
		}
	}
}
