package event

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
)

// chunkReader joins stapbpf's output back into lines. stapbpf keeps each
// print whole but interleaves the prints of different CPUs, so under BPF
// every print is "\x1fCPU|…\x1e" (Schema.Chunked) and the pieces of each
// CPU are collected apart until their newline; bytes outside pieces (the
// -c command's output on a shared stdout) are lines of their own.
type chunkReader struct {
	src *bufio.Reader
	cur int // CPU of the piece being read; -1 for untagged bytes
	// bufs[cpu+1] holds the bytes a CPU (or untagged, at 0) has pending
	// before its newline. Buffers are reused: cloning them at every
	// piece, and the map they lived in, were half of BPF decoding.
	bufs  [][]byte
	lines []chunkLine // whole lines, ready; lines[head:] still to return
	head  int
	// arena holds the lines' bytes until they have all been returned.
	arena []byte
	// words[cpu] are the Go string words a CPU printed before the string
	// (rawgo.go), "w" and their hex digits.
	words [][]byte
	err   error // from src, returned once lines are drained
}

// chunkLine is one joined line, without its newline.
type chunkLine struct {
	b []byte
	// partial: the input ended before this CPU's newline. Every CPU can
	// leave one such line, so the flag travels with the line instead of
	// being inferred from a missing newline at the end of the stream.
	partial bool
	// long: the line passed MaxLine; b holds its start only.
	long bool
	// cut: the CPU began a new record before this one's newline. A BPF
	// handler stops at a user read that fails (a page not yet faulted in
	// cannot be read from a uprobe), leaving its record unterminated.
	cut bool
	// cpu is the tag of the line's pieces, -1 for untagged bytes: a BPF
	// record head leaves its CPU to it.
	cpu int
}

// maxCPUTag bounds a tag's CPU number; a larger one is not a tag.
const maxCPUTag = 1 << 16

func newChunkReader(r io.Reader) *chunkReader {
	return &chunkReader{src: bufio.NewReaderSize(r, 64<<10), cur: -1}
}

// next returns the next joined line, or the input's error (io.EOF) once
// every line has been returned. The line's bytes are valid until the
// next call.
func (c *chunkReader) next() (chunkLine, error) {
	if c.head == len(c.lines) {
		c.lines, c.head, c.arena = c.lines[:0], 0, c.arena[:0]
	}
	for c.head == len(c.lines) {
		if c.err != nil {
			return chunkLine{}, c.err
		}
		c.fill()
	}
	l := c.lines[c.head]
	c.head++
	return l, nil
}

// fill moves one piece of input into its CPU's buffer: a tagged piece up
// to its 0x1e, or untagged bytes up to the next tag. The whole tagged
// pieces already buffered are all taken at once, in place: reading them
// one by one (a ReadSlice for the tag, a Peek, a ReadSlice for the
// piece) was half the time of decoding BPF output.
func (c *chunkReader) fill() {
	if c.cur < 0 && c.pieces() {
		return
	}
	delim := byte(0x1f)
	if c.cur >= 0 {
		delim = 0x1e
	}
	data, err := c.src.ReadSlice(delim)
	found := err == nil
	if found {
		data = data[:len(data)-1]
	}
	c.add(c.cur, data)
	switch {
	case found && delim == 0x1e:
		c.cur = -1
	case found:
		c.cur = c.readTag()
	case err == bufio.ErrBufferFull:
	default:
		c.flushAll()
		c.err = err
	}
}

// pieces takes the whole tagged pieces at the start of what is buffered,
// and says whether there were any. Anything else (untagged bytes, a piece
// not all read yet, a tag that is not plain digits) is left to fill's
// piece by piece reading, which decides it the same way.
func (c *chunkReader) pieces() bool {
	buf, _ := c.src.Peek(c.src.Buffered())
	used := 0
	for {
		rest := buf[used:]
		if len(rest) < 3 || rest[0] != 0x1f {
			break
		}
		// The tag is looked for in the 8 bytes after 0x1f, as readTag does.
		// By hand: bytes.IndexByte's call on so few bytes was a
		// twentieth of decoding BPF output.
		bar := -1
		for k, ch := range rest[1:min(len(rest), 9)] {
			if ch == '|' {
				bar = k
				break
			}
		}
		if bar <= 0 {
			break
		}
		cpu, ok := cpuTag(rest[1 : 1+bar])
		if !ok {
			break
		}
		body := rest[2+bar:]
		end := bytes.IndexByte(body, 0x1e)
		if end < 0 {
			break
		}
		c.add(cpu, body[:end])
		used += 2 + bar + end + 1
	}
	if used == 0 {
		return false
	}
	c.src.Discard(used)
	return true
}

// cpuTag reads a tag's CPU when it is plain digits.
func cpuTag(b []byte) (int, bool) {
	n := 0
	for _, d := range b {
		if d < '0' || d > '9' {
			return 0, false
		}
		n = n*10 + int(d-'0')
		if n >= maxCPUTag {
			return 0, false
		}
	}
	return n, true
}

// readTag reads "CPU|" after a 0x1f; anything else is kept as untagged
// bytes. Peeking the longest tag at once waited for input that had not
// come yet, so a run's last piece ("0|\n") and with it the last record
// stayed unread until stap printed more or exited.
func (c *chunkReader) readTag() int {
	// What is buffered is looked at without waiting; beyond it, a byte
	// more each time.
	var peek []byte
	var i int
	for n := min(max(c.src.Buffered(), 1), 8); ; n++ {
		p, err := c.src.Peek(n)
		peek, i = p, bytes.IndexByte(p, '|')
		if i >= 0 || n == 8 || err != nil {
			break
		}
	}
	if i <= 0 {
		c.add(-1, []byte{0x1f})
		return -1
	}
	n, err := strconv.Atoi(string(peek[:i]))
	if err != nil || n < 0 || n >= maxCPUTag {
		c.add(-1, []byte{0x1f})
		return -1
	}
	c.src.Discard(i + 1)
	return n
}

// buf is cpu's pending bytes (cpu -1: untagged).
func (c *chunkReader) buf(cpu int) *[]byte {
	if cpu+1 >= len(c.bufs) {
		c.bufs = append(c.bufs, make([][]byte, cpu+2-len(c.bufs))...)
	}
	return &c.bufs[cpu+1]
}

// emit queues a line, copying b: it may be the reader's buffer, which
// the next read overwrites, or a CPU's, which is reused.
func (c *chunkReader) emit(l chunkLine) {
	n := len(c.arena)
	c.arena = append(c.arena, l.b...)
	l.b = c.arena[n:len(c.arena):len(c.arena)]
	c.lines = append(c.lines, l)
}

// reset empties a CPU's pending bytes, keeping a small buffer for reuse.
func reset(b *[]byte) {
	if cap(*b) > 64<<10 {
		*b = nil
		return
	}
	*b = (*b)[:0]
}

// add appends data to cpu's pending bytes and releases its whole lines.
func (c *chunkReader) add(cpu int, data []byte) {
	if len(data) == 0 {
		return
	}
	if cpu >= 0 && data[0] == 0x1c {
		c.goWord(cpu, data)
		return
	}
	if cpu >= 0 && cpu < len(c.words) && len(c.words[cpu]) > 0 {
		data = c.goWords(cpu, data)
	}
	b := c.buf(cpu)
	// A record's head is always the start of a piece of its own, and no
	// encoded value holds "@@sg1 ", so a head arriving on a CPU with bytes
	// pending means those bytes are a record cut short.
	if cpu >= 0 && len(*b) > 0 && bytes.HasPrefix(data, magic) {
		c.emit(chunkLine{b: *b, cut: true, cpu: cpu})
		reset(b)
	}
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		if len(*b) == 0 {
			c.emit(chunkLine{b: data[:i], cpu: cpu})
		} else {
			*b = append(*b, data[:i]...)
			c.emit(chunkLine{b: *b, cpu: cpu})
			reset(b)
		}
		data = data[i+1:]
	}
	*b = append(*b, data...)
	// A CPU that never ends its line must not grow without bound: past
	// MaxLine its start goes out, to be reported as an over-long line.
	if len(*b) > MaxLine {
		c.emit(chunkLine{b: (*b)[:256], long: true, cpu: cpu})
		reset(b)
	}
}

// flushAll releases what each CPU left unfinished at the end of the input,
// so a cut record is reported rather than lost.
func (c *chunkReader) flushAll() {
	for i := range c.bufs {
		if b := &c.bufs[i]; len(*b) > 0 {
			c.emit(chunkLine{b: *b, partial: true, cpu: i - 1})
			reset(b)
		}
	}
}
