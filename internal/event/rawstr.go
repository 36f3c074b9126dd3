package event

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"io"
)

// rawStrings rewrites the BPF runtime's raw C strings into the "?:HEX"
// token before the pieces are joined. stapbpf sends a print's every
// argument as a perf event, and the events are what a probe hit costs
// (bench/cost.sh): a string read by kernel_string_n and printed with %s is
// one event, against one per 8-byte word. Its bytes can be anything but
// NUL (the framing bytes, newlines), so the template ends it with a NUL
// (%c of 0) and marks it, first in its piece or inside one:
//
//	0x1f CPU "|" 0x1d ":" BOUND ":" BYTES 0x00 ...rest of the piece... 0x1e
//
// (the ":" after 0x1d: stap reads "\035" and a digit as one escape)
//
// BOUND is the most bytes the read returns: a string that long may go on,
// so its token has no NUL (AtLeast); a shorter one keeps its NUL. With a
// "+" after it (":" BOUND "+:") the read took one byte more, so that a
// string exactly BOUND long is known whole: it keeps its NUL, and only a
// longer one is cut to BOUND and has none. A "!"
// after the 0x1d marks a string the script knows is not empty (its first
// byte was read): no bytes there is a read that faulted, token "!".
//
// The kernel runtime prints its C strings the same way, without the tag
// (its stream has no pieces): 0x1d ":" BOUND ":" BYTES 0x00 where the
// token goes, converted before the decoder splits the stream into lines,
// since the bytes may hold newlines.
type rawStrings struct {
	src *bufio.Reader
	// untagged: a raw string needs no piece's tag before it (the kernel
	// runtime's stream), only a record around it: the traced program's
	// output shares stap's stdout, and its lines go through as they came.
	// col counts the bytes of the current line returned (up to the
	// magic's length), rec says they are the magic so far.
	untagged bool
	col      int
	rec      bool
	out      []byte // rewritten bytes not yet returned
	// inPiece: what was returned ends inside a piece (track, rawgo.go).
	inPiece bool
}

// maxRawString bounds the bytes before a raw string's NUL: the BPF runtime
// reads at most 64, the kernel runtime 511 (stap's MAXSTRINGLEN).
const maxRawString = 1024

func newRawStrings(r io.Reader) *rawStrings {
	return &rawStrings{src: bufio.NewReaderSize(r, 64<<10)}
}

// newKernelRawStrings converts the kernel runtime's raw C strings.
func newKernelRawStrings(r io.Reader) *rawStrings {
	return &rawStrings{src: bufio.NewReaderSize(r, 64<<10), untagged: true, rec: true}
}

// Read returns what is buffered, rewritten, without waiting for more: a
// whole record must reach the decoder before stap prints the next one.
// Bytes without a 0x1d are copied straight into p.
func (r *rawStrings) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if _, err := r.src.Peek(1); err != nil {
			return 0, err
		}
		buf, _ := r.src.Peek(r.src.Buffered())
		i := bytes.IndexByte(buf, 0x1d)
		if i != 0 {
			if i > 0 {
				buf = buf[:i]
			}
			n := copy(p, buf)
			r.src.Discard(n)
			r.remember(p[:n])
			return n, nil
		}
		// At a 0x1d: the bytes before it were all returned, so the tag is
		// looked for in what was remembered of them.
		r.src.Discard(1)
		if r.goHere() {
			r.out = r.goRaw(r.out[:0])
		} else if r.rawHere() {
			r.out = r.raw(r.out[:0])
		} else {
			r.out = append(r.out[:0], 0x1d)
		}
	}
	n := copy(p, r.out)
	r.remember(p[:n])
	r.out = r.out[n:]
	return n, nil
}

// rawHere tells whether the 0x1d just read may start a raw string: first
// in a piece, or inside one, where a record's joined print puts it after
// the head (templates/bpf.stp.tmpl, guard.CString).
func (r *rawStrings) rawHere() bool {
	if r.untagged {
		return r.rec && r.col == len(magic)
	}
	return r.inPiece
}

// remember follows what was returned: whether a piece is open, or,
// untagged, how the current line starts.
func (r *rawStrings) remember(b []byte) {
	if r.untagged {
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			r.col, r.rec, b = 0, true, b[i+1:]
		}
		if k := min(len(b), len(magic)-r.col); k > 0 {
			r.rec = r.rec && bytes.Equal(b[:k], magic[r.col:r.col+k])
			r.col += k
		}
		return
	}
	r.track(b)
}

// raw reads ":" BOUND ":" BYTES 0x00 and appends its token to out;
// anything else goes through as it came, after the 0x1d.
func (r *rawStrings) raw(out []byte) []byte {
	nonEmpty := false
	if p, _ := r.src.Peek(2); len(p) == 2 && p[0] == '!' && p[1] == ':' {
		nonEmpty = true
		r.src.Discard(1)
	}
	if p, _ := r.src.Peek(1); len(p) == 0 || p[0] != ':' {
		return append(out, 0x1d)
	}
	r.src.Discard(1)
	head, err := r.src.ReadSlice(':')
	num := head[:max(0, len(head)-1)]
	over := len(num) > 0 && num[len(num)-1] == '+'
	if over {
		num = num[:len(num)-1]
	}
	bound, ok := atoi(num)
	if err != nil || !ok || bound < 0 || len(head) > 6 {
		out = append(out, 0x1d, ':')
		return append(out, head...)
	}
	peek, _ := r.src.Peek(min(r.src.Buffered(), maxRawString+1))
	end := -1
	for i, c := range peek {
		if c == 0 {
			end = i
			break
		}
	}
	if end < 0 && len(peek) <= maxRawString {
		// The NUL is not buffered yet: read on for it.
		b, err := r.src.ReadSlice(0)
		if err != nil || len(b) > maxRawString+1 {
			return append(append(append(out, 0x1d, ':'), head...), b...)
		}
		return r.token(out, b[:len(b)-1], bound, over, nonEmpty)
	}
	if end < 0 {
		return append(append(out, 0x1d, ':'), head...)
	}
	out = r.token(out, peek[:end], bound, over, nonEmpty)
	r.src.Discard(end + 1)
	return out
}

// token: over says the read went one byte past bound (see rawStrings).
func (r *rawStrings) token(out, b []byte, bound int, over, nonEmpty bool) []byte {
	if nonEmpty && len(b) == 0 {
		return append(out, " !"...)
	}
	whole := len(b) < bound
	if over {
		whole = len(b) <= bound
		b = b[:min(len(b), bound)]
	}
	out = append(out, " ?:"...)
	out = hex.AppendEncode(out, b)
	if whole {
		out = append(out, "00"...)
	}
	return out
}
