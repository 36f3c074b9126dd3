package event

import (
	"bufio"
	"bytes"
	"io"
	"sort"
	"strconv"
)

// chunkReader joins stapbpf's output back into lines. stapbpf keeps each
// print whole but interleaves the prints of different CPUs, so under BPF
// every print is "\x1fCPU|…\x1e" (Schema.Chunked) and the pieces of each
// CPU are collected apart until their newline; bytes outside pieces (the
// -c command's output on a shared stdout) are lines of their own.
type chunkReader struct {
	src   *bufio.Reader
	cur   int // CPU of the piece being read; -1 for untagged bytes
	bufs  map[int][]byte
	lines []chunkLine // whole lines, ready
	err   error       // from src, returned once lines are drained
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
}

// maxCPUTag bounds a tag's CPU number; a larger one is not a tag.
const maxCPUTag = 1 << 16

func newChunkReader(r io.Reader) *chunkReader {
	return &chunkReader{src: bufio.NewReaderSize(r, 64<<10), cur: -1, bufs: map[int][]byte{}}
}

// next returns the next joined line, or the input's error (io.EOF) once
// every line has been returned.
func (c *chunkReader) next() (chunkLine, error) {
	for len(c.lines) == 0 {
		if c.err != nil {
			return chunkLine{}, c.err
		}
		c.fill()
	}
	l := c.lines[0]
	c.lines[0] = chunkLine{}
	c.lines = c.lines[1:]
	return l, nil
}

// fill moves one piece of input into its CPU's buffer: a tagged piece up
// to its 0x1e, or untagged bytes up to the next tag.
func (c *chunkReader) fill() {
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

// readTag reads "CPU|" after a 0x1f; anything else is kept as untagged
// bytes.
func (c *chunkReader) readTag() int {
	peek, _ := c.src.Peek(8)
	i := bytes.IndexByte(peek, '|')
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

// add appends data to cpu's pending bytes and releases its whole lines.
func (c *chunkReader) add(cpu int, data []byte) {
	if len(data) == 0 {
		return
	}
	// A record's head is always the start of a piece of its own, and no
	// encoded value holds "@@sg1 ", so a head arriving on a CPU with bytes
	// pending means those bytes are a record cut short.
	if cpu >= 0 && len(c.bufs[cpu]) > 0 && bytes.HasPrefix(data, magic) {
		c.lines = append(c.lines, chunkLine{b: c.bufs[cpu], cut: true})
		delete(c.bufs, cpu)
	}
	b := append(c.bufs[cpu], data...)
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		c.lines = append(c.lines, chunkLine{b: bytes.Clone(b[:i])})
		b = b[i+1:]
	}
	// A CPU that never ends its line must not grow without bound: past
	// MaxLine its start goes out, to be reported as an over-long line.
	if len(b) > MaxLine {
		c.lines = append(c.lines, chunkLine{b: bytes.Clone(b[:256]), long: true})
		b = nil
	}
	if len(b) == 0 {
		delete(c.bufs, cpu)
		return
	}
	c.bufs[cpu] = bytes.Clone(b)
}

// flushAll releases what each CPU left unfinished at the end of the input,
// so a cut record is reported rather than lost.
func (c *chunkReader) flushAll() {
	cpus := make([]int, 0, len(c.bufs))
	for cpu := range c.bufs {
		cpus = append(cpus, cpu)
	}
	sort.Ints(cpus)
	for _, cpu := range cpus {
		c.lines = append(c.lines, chunkLine{b: c.bufs[cpu], partial: true})
		delete(c.bufs, cpu)
	}
}
