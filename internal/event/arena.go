package event

// arena is the memory one record is decoded into: its Values and the
// bytes, words and names they hold.
type arena struct {
	vals []Value
	mem  slab
}

// values returns n zeroed Values. With reuse they are the same ones each
// record. Otherwise they come from a block shared by the next records: a
// record that keeps them keeps that block alive, never more than 64
// records' worth (one allocation per 64 records instead of one each: the
// allocator and GC were a third of decoding).
func (a *arena) values(n int, reuse bool) []Value {
	if reuse {
		if cap(a.vals) < n {
			a.vals = make([]Value, n)
		}
		v := a.vals[:n:n]
		clear(v)
		return v
	}
	if n > len(a.vals) {
		a.vals = make([]Value, max(64*n, 256))
	}
	v := a.vals[:n:n]
	a.vals = a.vals[n:]
	return v
}

// arenas are the free arenas of a decoder that holds records back and
// reuses their memory: each held record has one, back here once the
// caller is done with its event, so memory follows the number of records
// held, not the number decoded.
type arenas struct {
	free []*arena
	// names is the interned frame names all arenas share.
	names map[string]string
}

// get is a free arena, cur's interned names with it.
func (p *arenas) get(cur *arena) *arena {
	if p.names == nil {
		if p.names = cur.mem.names; p.names == nil {
			p.names = map[string]string{}
		}
	}
	if n := len(p.free); n > 0 {
		a := p.free[n-1]
		p.free = p.free[:n-1]
		return a
	}
	return &arena{mem: slab{reuse: true, names: p.names}}
}

// maxFree bounds the arenas kept for reuse, past what a restart window
// holds at 1 M records/s: at 256, a quiet thread's entry holding 3,000
// records back made new arenas for most of them, every time. Keeping
// them raises no peak: they were all in use at once.
const maxFree = 16384

func (p *arenas) put(a *arena) {
	if p != nil && a != nil && len(p.free) < maxFree {
		p.free = append(p.free, a)
	}
}
