package session

import (
	"io"
	"os"
	"syscall"
	"time"
)

// follower reads a file that stap is still writing: at the end of the
// data it waits for more until stap has exited, then reads what is left.
// It wakes when the file is written (inotify), and polls as well, for a
// file system that sends no such events.
type follower struct {
	f    *os.File
	done <-chan struct{}
	// wake gets a value when the file may have grown; nil without
	// inotify.
	wake <-chan struct{}
	// poll is how often to look anyway; 0 for pollInterval.
	poll time.Duration
	// waiting, when set, is told each time the follower starts to wait
	// (for tests).
	waiting chan<- struct{}
}

// pollInterval trades latency of live output for wake-ups of an idle run
// when the file's writes cannot be watched. Polling alone made an event
// wait up to this long to be read.
const pollInterval = 50 * time.Millisecond

func (r *follower) Read(p []byte) (int, error) {
	for {
		n, err := r.f.Read(p)
		if n > 0 || (err != nil && err != io.EOF) {
			return n, err
		}
		poll := r.poll
		if poll == 0 {
			poll = pollInterval
		}
		if r.waiting != nil {
			r.waiting <- struct{}{}
		}
		t := time.NewTimer(poll)
		select {
		case <-r.done:
			t.Stop()
			// stap has exited: one more read picks up its last write.
			n, err := r.f.Read(p)
			if n > 0 {
				return n, nil
			}
			return 0, err
		case <-r.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// watchWrites signals on the channel whenever path is written, until
// stop is called; a nil channel when it cannot be watched.
func watchWrites(path string) (wake <-chan struct{}, stop func()) {
	fd, err := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	if err != nil {
		return nil, func() {}
	}
	if _, err := syscall.InotifyAddWatch(fd, path, syscall.IN_MODIFY|syscall.IN_CLOSE_WRITE); err != nil {
		syscall.Close(fd)
		return nil, func() {}
	}
	// Non-blocking, so the runtime's poller reads it and Close ends the
	// read below.
	f := os.NewFile(uintptr(fd), "inotify")
	ch := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := f.Read(buf); err != nil {
				return
			}
			select {
			case ch <- struct{}{}:
			default: // a wake-up is already pending
			}
		}
	}()
	return ch, func() { f.Close() }
}
