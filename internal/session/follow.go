package session

import (
	"io"
	"os"
	"time"
)

// follower reads a file that stap is still writing: at the end of the
// data it waits for more until stap has exited, then reads what is left.
type follower struct {
	f    *os.File
	done <-chan struct{}
}

// pollInterval trades latency of live output for wake-ups of an idle run.
const pollInterval = 50 * time.Millisecond

func (r *follower) Read(p []byte) (int, error) {
	for {
		n, err := r.f.Read(p)
		if n > 0 || (err != nil && err != io.EOF) {
			return n, err
		}
		select {
		case <-r.done:
			// stap has exited: one more read picks up its last write.
			n, err := r.f.Read(p)
			if n > 0 {
				return n, nil
			}
			return 0, err
		case <-time.After(pollInterval):
		}
	}
}
