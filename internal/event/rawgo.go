package event

import (
	"bytes"
	"encoding/hex"
	"strconv"
)

// A Go string under BPF comes raw too (templates/bpf.stp.tmpl,
// bytes.scan), in the middle of its record's piece:
//
//	0x1d "g:" BOUND ":" LEN ":" BYTES
//
// The script looked for a NUL in the string first. None: BYTES are
// exactly min(LEN, BOUND) bytes, and the token becomes LEN:HEX, which is
// truncated when LEN passes BOUND. A NUL, which a raw read stops at: LEN
// is printed as -1-LEN, nothing follows, and the token becomes LEN:0x1c;
// pieces of the same CPU printed just before it hold the string's words
// (0x1c "=" HEX16, then 0x1c "+" HEX16 each), and the chunk reader puts
// them in place of the 0x1c (chunks.go, goWords), in the word form
// LEN:wHEX. A 0x1c left there is a string whose words did not come: no
// bytes (Value.parseStr), so it is marked truncated.

// goHere tells whether the 0x1d just read starts a Go string: where a raw
// C string may (inside a piece; untagged, inside a record), followed by
// "g:". The kernel runtime prints them too (templates/kernel.stp.tmpl,
// part.Bytes), never with a negative LEN.
func (r *rawStrings) goHere() bool {
	if !r.rawHere() {
		return false
	}
	p, _ := r.src.Peek(2)
	return len(p) == 2 && p[0] == 'g' && p[1] == ':'
}

// goRaw reads "g:" BOUND ":" LEN ":" BYTES and appends its token to out;
// anything else goes through as it came, after the 0x1d.
func (r *rawStrings) goRaw(out []byte) []byte {
	r.src.Discard(2)
	out = append(out, 0x1d, 'g', ':')
	start := len(out)
	head, err := r.src.ReadSlice(':')
	out = append(out, head...)
	bound, ok := atoi(head[:max(0, len(head)-1)])
	if err != nil || !ok || bound > maxRawString || len(head) > 6 {
		return out
	}
	head, err = r.src.ReadSlice(':')
	out = append(out, head...)
	l := head[:max(0, len(head)-1)]
	neg := len(l) > 0 && l[0] == '-'
	if neg {
		l = l[1:]
	}
	n, ok := atoi(l)
	if err != nil || !ok || len(head) > 21 {
		return out
	}
	out = out[:start-3] // the marker and its numbers become the token
	if neg {
		out = strconv.AppendInt(out, int64(n)-1, 10)
		return append(out, ':', 0x1c)
	}
	m := min(n, bound)
	b, err := r.src.Peek(m)
	if err != nil {
		// The input ended inside the string: what came is all there is.
		m = len(b)
	}
	out = strconv.AppendInt(out, int64(n), 10)
	out = append(out, ':')
	out = hex.AppendEncode(out, b[:m])
	r.src.Discard(m)
	return out
}

// track follows, in what was returned, whether a piece is open: a 0x1f
// opens one and a 0x1e ends it (a converted string holds neither).
func (r *rawStrings) track(b []byte) {
	open, end := bytes.LastIndexByte(b, 0x1f), bytes.LastIndexByte(b, 0x1e)
	switch {
	case open > end:
		r.inPiece = true
	case end > open:
		r.inPiece = false
	}
}

// goWord keeps a string's word piece, 0x1c "=" or "+" and 16 hex digits,
// for cpu's next string that asks for its words; "=" starts them anew,
// so words no string asked for (its record was filtered out) are dropped.
func (c *chunkReader) goWord(cpu int, data []byte) {
	for cpu >= len(c.words) {
		c.words = append(c.words, nil)
	}
	if len(data) != 18 || (data[1] != '=' && data[1] != '+') {
		return
	}
	if data[1] == '=' {
		c.words[cpu] = append(c.words[cpu][:0], 'w')
	} else if len(c.words[cpu]) == 0 {
		return
	}
	c.words[cpu] = append(c.words[cpu], data[2:]...)
}

// goWords puts cpu's kept words in place of the 0x1c of a Go string
// printed without its bytes, if data has one.
func (c *chunkReader) goWords(cpu int, data []byte) []byte {
	w := c.words[cpu]
	i := bytes.IndexByte(data, 0x1c)
	if i < 0 || i == 0 || data[i-1] != ':' {
		return data
	}
	out := make([]byte, 0, len(data)+len(w))
	out = append(append(append(out, data[:i]...), w...), data[i+1:]...)
	c.words[cpu] = w[:0]
	return out
}
