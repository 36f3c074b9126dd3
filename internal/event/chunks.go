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
	src  *bufio.Reader
	cur  int // CPU of the piece being read; -1 for untagged bytes
	bufs map[int][]byte
	out  []byte // whole lines, ready
	err  error  // from src, returned once out is drained
}

// maxCPUTag bounds a tag's CPU number; a larger one is not a tag.
const maxCPUTag = 1 << 16

func newChunkReader(r io.Reader) *chunkReader {
	return &chunkReader{src: bufio.NewReaderSize(r, 64<<10), cur: -1, bufs: map[int][]byte{}}
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		c.fill()
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
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
	b := append(c.bufs[cpu], data...)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		c.out = append(c.out, b[:i+1]...)
		b = b[i+1:]
	}
	// A CPU that never ends its line must not grow without bound: what is
	// past MaxLine goes out as it is, to be reported as an over-long line.
	if len(b) > MaxLine {
		c.out = append(c.out, b...)
		c.out = append(c.out, '\n')
		b = b[:0]
	}
	c.bufs[cpu] = append(b[:0:0], b...)
	if len(c.bufs[cpu]) == 0 {
		delete(c.bufs, cpu)
	}
}

// flushAll releases what each CPU left unfinished at the end of the input,
// one line each, so a cut record is reported rather than lost.
func (c *chunkReader) flushAll() {
	cpus := make([]int, 0, len(c.bufs))
	for cpu := range c.bufs {
		cpus = append(cpus, cpu)
	}
	sort.Ints(cpus)
	for i, cpu := range cpus {
		c.out = append(c.out, c.bufs[cpu]...)
		// The last one keeps no newline: the decoder then calls it partial.
		if i < len(cpus)-1 {
			c.out = append(c.out, '\n')
		}
		delete(c.bufs, cpu)
	}
}
