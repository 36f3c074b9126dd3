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
// trace wants to see an event within a moment of it happening.
type live struct {
	mu    sync.Mutex
	s     Sink
	dirty bool
	stop  chan struct{}
	done  chan struct{}
}

// Live wraps s for a live run: safe for several goroutines, and what is
// buffered reaches the output within every.
func Live(s Sink, every time.Duration) Sink {
	l := &live{s: s, stop: make(chan struct{}), done: make(chan struct{})}
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
				if f, ok := l.s.(Flusher); ok {
					f.Flush()
				}
				l.dirty = false
			}
			l.mu.Unlock()
		}
	}
}

func (l *live) Event(e event.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dirty = true
	return l.s.Event(e)
}

func (l *live) Streams() bool { return streams(l.s) }

func (l *live) Close() error {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.Close()
}
