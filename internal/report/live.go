package report

import (
	"sync"
	"time"

	"github.com/stapgen/stapgen/internal/event"
)

// Flusher is a sink that buffers its output.
type Flusher interface{ Flush() error }

func (m multi) Flush() error {
	var first error
	for _, s := range m {
		if f, ok := s.(Flusher); ok {
			if err := f.Flush(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// live serialises a sink for concurrent producers and flushes it on a
// clock: a flush per event costs a write system call per event (a quarter
// of the time at a million events a second), while a reader of a live
// trace wants to see an event within a moment of it happening. An event
// that comes when nothing was flushed for a whole period is flushed at
// once: the first event of a run, and each of a sparse trace, no longer
// wait for the clock (up to 0.1 s of the time to first event).
type live struct {
	mu    sync.Mutex
	s     Sink
	dirty bool
	every time.Duration
	last  time.Time // of the last flush
	stop  chan struct{}
	done  chan struct{}
}

// Live wraps s for a live run: safe for several goroutines, and what is
// buffered reaches the output within every.
func Live(s Sink, every time.Duration) Sink {
	l := &live{s: s, every: every, stop: make(chan struct{}), done: make(chan struct{})}
	go l.flusher(every)
	return l
}

func (l *live) flusher(every time.Duration) {
	defer close(l.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.mu.Lock()
			if l.dirty {
				l.flush(time.Now())
			}
			l.mu.Unlock()
		}
	}
}

func (l *live) flush(now time.Time) {
	if f, ok := l.s.(Flusher); ok {
		f.Flush()
	}
	l.dirty, l.last = false, now
}

// Event unlocks without defer: a sink's Event does not panic on an
// event the decoder made, and the deferred call was a share of each
// event's cost at a million a second.
func (l *live) Event(e event.Event) error {
	l.mu.Lock()
	err := l.s.Event(e)
	// Only the first event after a flush reads the clock.
	if !l.dirty {
		if now := time.Now(); now.Sub(l.last) >= l.every {
			l.flush(now)
			l.mu.Unlock()
			return err
		}
	}
	l.dirty = true
	l.mu.Unlock()
	return err
}

func (l *live) Streams() bool { return streams(l.s) }

func (l *live) Close() error {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.Close()
}
