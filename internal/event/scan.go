package event

import "encoding/binary"

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
	if len(b) <= 19 {
		// 19 digits cannot overflow: no bound to check at each digit
		// (atoi64 through it was a twentieth of decoding).
		var n uint64
		for _, c := range b {
			d := c - '0'
			if d > 9 {
				return 0, false
			}
			n = n*10 + uint64(d)
		}
		return n, true
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
	for w := 0; w+16 <= len(src); w += 16 {
		n, ok := hex16(src[w : w+16])
		if !ok {
			return false
		}
		binary.LittleEndian.PutUint64(dst[w/2:], n)
	}
	return true
}

// unhexBytes decodes hex pairs into dst (len(src)/2 bytes).
func unhexBytes(dst, src []byte) bool {
	i := 0
	for ; i+16 <= len(src); i += 16 {
		n, ok := hex16(src[i : i+16])
		if !ok {
			return false
		}
		binary.BigEndian.PutUint64(dst[i/2:], n)
	}
	bad := byte(0)
	for ; i+1 < len(src); i += 2 {
		hi, lo := unhex[src[i]], unhex[src[i+1]]
		bad |= hi | lo
		dst[i/2] = hi<<4 | lo
	}
	return bad&0xf0 == 0
}

// hex16 is the value of 16 hex digits, the first the most significant.
// Strings are most of what BPF records hold, and decoding them a digit
// at a time through the table was a tenth of decoding them.
func hex16(b []byte) (uint64, bool) {
	hi, ok1 := hex8(binary.BigEndian.Uint64(b))
	lo, ok2 := hex8(binary.BigEndian.Uint64(b[8:]))
	return uint64(hi)<<32 | uint64(lo), ok1 && ok2
}

const (
	ones = 0x0101010101010101
	high = 0x8080808080808080
)

// hex8 is the value of the 8 hex digits in x, one a byte, the first in
// the top byte: all eight are checked and turned into nibbles at once.
func hex8(x uint64) (uint32, bool) {
	if x&high != 0 {
		return 0, false
	}
	// between sets the top bit of each byte of x strictly between lo and
	// hi: no byte's sum or difference carries into the next, since no
	// byte has its top bit set.
	between := func(x, lo, hi uint64) uint64 { return (ones*(127+hi) - x) & (x + ones*(127-lo)) & high }
	digit := between(x, '0'-1, '9'+1)
	letter := between(x|ones*0x20, 'a'-1, 'f'+1) // either case
	if digit|letter != high {
		return 0, false
	}
	v := x&(ones*0x0f) + letter>>7*9
	// Pairs of nibbles into bytes, then bytes into 16-bit halves, then 32.
	v = (v>>4 | v) & 0x00ff00ff00ff00ff
	v = (v>>8 | v) & 0x0000ffff0000ffff
	v = (v>>16 | v) & 0xffffffff
	return uint32(v), true
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
