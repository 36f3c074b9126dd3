package session

import (
	"io"

	"github.com/stapgen/stapgen/internal/event"
)

// Decode feeds every event of r to sink and says what it counted.
func Decode(r io.Reader, s *event.Schema, sink Sink) (Decoded, error) {
	return decodeMax(r, s, sink, 0, nil)
}

// Decoded is what a decoding counted.
type Decoded struct {
	// Records delivered: raw lines the traced program printed are events
	// too, but not counted.
	Records int
	// Restarted are entry records dropped as Go runtime restarts
	// (event/restart.go); LateRestarts those kept because their restart
	// record came late (event.Decoder.LateRestarts).
	Restarted, LateRestarts int
	// Missing are records the script said it printed that never came
	// (event.Decoder.Missing).
	Missing int64
}

// decodeMax is Decode delivering at most max records (0: all); the rest
// are read and dropped. full, when set, is called once the max-th record
// is delivered.
func decodeMax(r io.Reader, s *event.Schema, sink Sink, max int, full func()) (Decoded, error) {
	var n int
	d := event.NewDecoder(r, s)
	if st, ok := sink.(event.Streamer); ok && st.Streams() {
		d.Reuse()
	}
	for {
		ev, err := d.Next()
		if err == io.EOF {
			return Decoded{Records: n, Restarted: d.Restarted(), LateRestarts: d.LateRestarts(), Missing: d.Missing()}, nil
		}
		if err != nil {
			return Decoded{Records: n, Restarted: d.Restarted()}, err
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
			return Decoded{Records: n, Restarted: d.Restarted()}, err
		}
	}
}
