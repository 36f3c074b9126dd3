package event

import "math"

// Go's stack-check restart under the BPF runtime. A Go function whose
// prologue finds the stack short (or a preemption request) calls
// morestack, and the runtime runs it again from its entry: an entry probe
// there fires twice for one call, and BPF has no registers to tell the
// firings apart. The script also probes the runtime functions that
// morestack's newstack ends in (copystack, goschedImpl, preemptPark), each
// printing a SiteRestart record with the goroutine's saved PC. When that
// PC is in a probed function's morestack stub (ProbeSchema.Restart) and
// the thread's last record is that function's entry, the entry was not a
// call: the decoder drops it. Nothing runs on the thread between the two.

// SiteRestart marks the runtime's restart records; they are never
// returned as events.
const SiteRestart Site = "restart"

// restartWindow bounds how long an entry waits for its restart record (in
// the records' own clock): newstack follows the entry within microseconds.
const restartWindow = RestartWindowMS * 1_000_000 // ns

// RestartWindowMS is restartWindow in ms, for messages.
const RestartWindowMS = 10

// restarts holds entries back until they are known to be calls.
type restarts struct {
	// dropped counts the entries found to be restarts.
	dropped int
	// late counts restart records that came after their entry had been
	// decided a call by age (its thread was descheduled past the window
	// between the entry and newstack: seen at 24 ms on a loaded machine),
	// so a repeat was kept. aged is each thread's entry decided so, until
	// the thread's next record.
	late int
	aged map[int]int
	// q[head:] are the events not yet returned. Slicing the front off
	// instead left no capacity, and the queue grew a new array over and
	// over (a quarter of the restart path's time).
	q    []held
	head int
	// last is the index in q (offset by base) of each thread's newest
	// undecided entry.
	last map[int]int
	base int
	// oldest is at most the time of the oldest waiting entry.
	oldest int64
	// pool takes back the arenas of records never returned (Reuse).
	pool *arenas
}

type held struct {
	e Event
	// mem is the arena e's values are in, nil when they are not one's.
	mem     *arena
	waiting bool // an entry not yet known to be a call
	drop    bool
}

func (s *Schema) hasRestarts() bool {
	for _, p := range s.Probes {
		if p.Site == SiteRestart {
			return true
		}
	}
	return false
}

// push takes the next decoded event.
func (r *restarts) push(s *Schema, e Event, mem *arena) {
	if r.last == nil {
		r.last = map[int]int{}
		r.aged = map[int]int{}
	}
	if probe, ok := r.aged[e.TID]; ok && e.Probe >= 0 {
		if e.Site == SiteRestart && len(e.Fields) > 0 {
			rg := s.Probes[probe].Restart
			if pc := e.Fields[0].Uint; len(rg) == 2 && pc >= rg[0] && pc < rg[1] {
				r.late++
			}
		}
		delete(r.aged, e.TID)
	}
	// Any record decides the thread's waiting entry, and age decides all.
	if i, ok := r.last[e.TID]; ok && e.Probe >= 0 {
		h := &r.q[i-r.base]
		h.waiting = false
		if e.Site == SiteRestart && len(e.Fields) > 0 {
			rg := s.Probes[h.e.Probe].Restart
			pc := e.Fields[0].Uint
			h.drop = len(rg) == 2 && pc >= rg[0] && pc < rg[1]
			if h.drop {
				r.dropped++
			}
		}
		delete(r.last, e.TID)
	}
	if e.Probe >= 0 && len(r.last) > 0 && e.Time-r.oldest > restartWindow {
		// The waiting entries are last's, one a thread: a scan of the
		// whole queue instead cost each record as many steps as records
		// were held (thousands while a quiet thread's entry waits).
		r.oldest = math.MaxInt64
		for tid, i := range r.last {
			if h := &r.q[i-r.base]; e.Time-h.e.Time > restartWindow {
				h.waiting = false
				delete(r.last, tid)
				r.aged[tid] = h.e.Probe
			} else {
				r.oldest = min(r.oldest, h.e.Time)
			}
		}
	}
	if e.Probe >= 0 && e.Site == SiteRestart {
		r.pool.put(mem)
		return
	}
	wait := e.Probe >= 0 && len(s.Probes[e.Probe].Restart) == 2
	r.q = append(r.q, held{e: e, mem: mem, waiting: wait})
	if wait {
		if len(r.last) == 0 {
			r.oldest = e.Time
		}
		r.oldest = min(r.oldest, e.Time)
		r.last[e.TID] = r.base + len(r.q) - 1
	}
}

// pop returns the next decided event and its arena, ok false when none
// is.
func (r *restarts) pop(flush bool) (e Event, mem *arena, ok bool) {
	for r.head < len(r.q) {
		h := r.q[r.head]
		if h.waiting && !flush {
			r.compact()
			return Event{}, nil, false
		}
		r.q[r.head] = held{}
		r.head++
		if r.head == len(r.q) {
			r.q, r.base, r.head = r.q[:0], r.base+r.head, 0
		}
		if h.waiting {
			delete(r.last, h.e.TID)
		}
		if !h.drop {
			return h.e, h.mem, true
		}
		r.pool.put(h.mem)
	}
	return Event{}, nil, false
}

// compact moves the events still queued to the front of q once the
// returned ones are at least half of it, so q stays as long as the most
// events ever held at once.
func (r *restarts) compact() {
	if r.head < 64 || 2*r.head < len(r.q) {
		return
	}
	n := copy(r.q, r.q[r.head:])
	clear(r.q[n:])
	r.q, r.base, r.head = r.q[:n], r.base+r.head, 0
}

// LateRestarts is how many entry records the decoder kept that repeat a
// call the Go runtime restarted: their restart record came more than the
// window after the first entry, which was by then decided a call.
func (d *Decoder) LateRestarts() int {
	if d.restarts == nil {
		return 0
	}
	return d.restarts.late
}

// Restarted is how many entry records the decoder dropped as repeats of a
// call the Go runtime restarted.
func (d *Decoder) Restarted() int {
	if d.restarts == nil {
		return 0
	}
	return d.restarts.dropped
}
