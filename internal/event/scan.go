package event

// Token scanning without strconv or allocation per value: a profile of
// decoding to JSON had strconv.ParseUint (through string conversions),
// per-value allocations and the GC behind them as its largest items.

// unhex maps a hex digit to its value, every other byte to 0xff.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
		t[c-'a'+'A'] = byte(c-'a') + 10
	}
	return t
}()

// hexUint parses hex digits as strconv.ParseUint(s, 16, 64) does: at
// least one digit, no sign, no overflow.
func hexUint(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		d := unhex[c]
		if d == 0xff || n>>60 != 0 {
			return 0, false
		}
		n = n<<4 | uint64(d)
	}
	return n, true
}

// decUint parses decimal digits as strconv.ParseUint(s, 10, 64) does.
func decUint(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// unhexWords decodes little-endian 64-bit words, 16 hex digits each, into
// dst (len(src)/2 bytes): the digits of a word are its bytes last first.
func unhexWords(dst, src []byte) bool {
	bad := byte(0)
	for w := 0; w+16 <= len(src); w += 16 {
		h, o := src[w:w+16:w+16], dst[w/2:w/2+8:w/2+8]
		for k := 0; k < 8; k++ {
			hi, lo := unhex[h[14-2*k]], unhex[h[15-2*k]]
			bad |= hi | lo
			o[k] = hi<<4 | lo
		}
	}
	return bad&0xf0 == 0
}

// unhexBytes decodes hex pairs into dst (len(src)/2 bytes).
func unhexBytes(dst, src []byte) bool {
	bad := byte(0)
	for i := 0; i+1 < len(src); i += 2 {
		hi, lo := unhex[src[i]], unhex[src[i+1]]
		bad |= hi | lo
		dst[i/2] = hi<<4 | lo
	}
	return bad&0xf0 == 0
}

// slab hands out the memory decoded values keep, in blocks: one
// allocation for many strings' bytes and stacks' words instead of one
// each. A kept event keeps its block alive, a few KiB at most. The nil
// slab allocates each one. With reuse, rewind hands out the same blocks
// again for the next record.
type slab struct {
	bytes []byte
	words []uint64
	strs  []string
	// The blocks last allocated, whole, for rewind.
	bytes0 []byte
	words0 []uint64
	strs0  []string
	// vals holds slices' elements when reusing (rewound, never grown
	// past the largest record's need).
	vals  []Value
	nvals int
	reuse bool
	// names interns stap's names of kernel frames, which repeat from
	// record to record.
	names map[string]string
}

const (
	slabBytes = 8 << 10
	slabWords = 512
	maxNames  = 4096
)

// block is the size of a new block after one of size last, for n items
// of at most full: a reused slab's blocks start small and double until
// one record's values fit, since each record a decoder holds back has a
// slab of its own (arena.go).
func (a *slab) block(last, n, full int) int {
	if !a.reuse {
		return full
	}
	return min(max(2*last, n, 32), full)
}

func (a *slab) byteSlice(n int) []byte {
	if a == nil || n > slabBytes/8 {
		return make([]byte, n)
	}
	if n > len(a.bytes) {
		a.bytes = make([]byte, a.block(len(a.bytes0), n, slabBytes))
		a.bytes0 = a.bytes
	}
	b := a.bytes[:n:n]
	a.bytes = a.bytes[n:]
	return b
}

func (a *slab) wordSlice(n int) []uint64 {
	if a == nil || n > slabWords/8 {
		return make([]uint64, n)
	}
	if n > len(a.words) {
		a.words = make([]uint64, a.block(len(a.words0), n, slabWords))
		a.words0 = a.words
	}
	w := a.words[:n:n]
	a.words = a.words[n:]
	return w
}

func (a *slab) strSlice(n int) []string {
	if a == nil || n > slabWords/8 {
		return make([]string, n)
	}
	if n > len(a.strs) {
		a.strs = make([]string, a.block(len(a.strs0), n, slabWords))
		a.strs0 = a.strs
	}
	s := a.strs[:n:n]
	a.strs = a.strs[n:]
	clear(s) // a rewound block holds the last record's names
	return s
}

// rewind starts a record: with reuse, the blocks are handed out again
// from their start.
func (a *slab) rewind() {
	if a.reuse {
		a.bytes, a.words, a.strs = a.bytes0, a.words0, a.strs0
		a.nvals = 0
	}
}

// valueSlice is n zeroed Values for a slice's elements. Only a reusing
// decoder hands them out of a block: a kept event keeps its own.
func (a *slab) valueSlice(n int) []Value {
	if a == nil || !a.reuse || n > 64 {
		return make([]Value, n)
	}
	if a.nvals+n > len(a.vals) {
		// Earlier elements of this record keep the old block.
		a.vals, a.nvals = make([]Value, max(2*len(a.vals), 64)), 0
	}
	v := a.vals[a.nvals : a.nvals+n : a.nvals+n]
	a.nvals += n
	clear(v)
	return v
}

// name is b as a string, the same string each time it recurs.
func (a *slab) name(b []byte) string {
	if a == nil {
		return string(b)
	}
	if s, ok := a.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if a.names == nil {
		a.names = map[string]string{}
	}
	if len(a.names) < maxNames {
		a.names[s] = s
	}
	return s
}
