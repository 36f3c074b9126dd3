package event

import (
	"bufio"
	"bytes"
	"io"
)

// magic starts every record.
var magic = []byte("@@sg1 ")

// MaxLine bounds one line; a longer one is reported and skipped, so memory
// stays flat whatever a script or a traced program prints.
const MaxLine = 1 << 20

// Event is one decoded record, or a line that was not one.
type Event struct {
	// Probe indexes Schema.Probes; -1 for a Raw line.
	Probe    int
	Function string
	Site     Site
	Time     int64 // ns since the epoch
	CPU      int
	PID, TID int
	// Goid is the goroutine id, -1 when the probe has none.
	Goid   int64
	Fields []Value
	// Raw is a non-record line (Probe == -1), or the offending line when
	// Err is set.
	Raw string
	// Err says why a record could not be decoded; it is never dropped.
	Err string
	// Host is the machine the event came from in a run on several hosts
	// (stapgen run --remote), "" otherwise.
	Host string
	// Agg is a snapshot of the script's statistics (Probe == -1).
	Agg *Agg
	// head is the start of the event's JSON, made by the decoder once
	// for its probe; nil for none.
	head *probeHead
}

// Decoder reads events from stap's output.
type Decoder struct {
	r       *bufio.Reader
	chunks  *chunkReader // set when the schema is Chunked; r is unused then
	s       *Schema
	pending []Event
	next    int // pending[next:] are still to return
	// agg is the statistics snapshot being read.
	agg *Agg
	// rec is the memory records are decoded into (arena.go).
	rec *arena
	// reuse: each record's values are written over the last one's
	// (Reuse).
	reuse bool
	// lent is the arena of the held record Next returned last, free
	// again once the caller asks for the next one (Reuse with restarts).
	lent *arena
	// probes is what the decoder made for each probe of the schema.
	probes []probeDec
	// restarts drops the entries Go's stack-check restart repeats (BPF),
	// nil when the schema has no restart records.
	restarts *restarts
	eof      bool
	// tagCPU is the CPU tag of the line being decoded (Chunked), -1
	// for untagged bytes and for unchunked output.
	tagCPU int
	// sent counts records as the script said and the decoder saw them
	// (sent.go).
	sent sentCount
}

// NewDecoder decodes r with schema s.
func NewDecoder(r io.Reader, s *Schema) *Decoder {
	if s.RawStrings && !s.Chunked {
		r = newKernelRawStrings(r)
	}
	d := &Decoder{r: bufio.NewReaderSize(r, 64<<10), s: s, tagCPU: -1}
	if s.Chunked {
		d = &Decoder{chunks: newChunkReader(newRawStrings(r)), s: s, tagCPU: -1}
	}
	d.rec = &arena{}
	if s.hasRestarts() {
		d.restarts = &restarts{}
	}
	d.probes = make([]probeDec, len(s.Probes))
	for i, p := range s.Probes {
		pd := &d.probes[i]
		pd.head = newProbeHead(p.Function, p.Site)
		pd.fields = make([]fieldDec, len(p.Fields))
		for k, f := range p.Fields {
			pd.fields[k].head = newFieldHead(f.Name, f.Type)
			if f.Enc == EncStack {
				pd.fields[k].stack = &stackCache{}
				pd.fields[k].head.stack = pd.fields[k].stack
			}
		}
	}
	return d
}

// probeDec is what a decoder keeps for one probe: the JSON heads of its
// events and of its fields, and its backtraces' last values.
type probeDec struct {
	head   *probeHead
	fields []fieldDec
}

type fieldDec struct {
	head  *fieldHead
	stack *stackCache // nil but for a backtrace
}

// Reuse lets the decoder write each record's values over the previous
// record's: from then on an event's Fields, and the strings' bytes and
// stacks in them, are valid only until the next call to Next. It is for a
// consumer done with each event before it asks for the next (a Streamer):
// the values' memory and the garbage collector behind it were a third of
// decoding to JSON. When the decoder holds records back itself (Go
// restart records), each held record has an arena of its own, handed out
// again once the caller is done with its event.
func (d *Decoder) Reuse() {
	d.reuse = true
	d.rec.mem.reuse = true
	if d.restarts != nil {
		d.restarts.pool = &arenas{}
	}
}

// A Streamer is a consumer of events that keeps no part of an event once
// it has handled it, when Streams says so: the decoder may then Reuse.
type Streamer interface{ Streams() bool }

// Next returns the next event, or io.EOF.
func (d *Decoder) Next() (Event, error) {
	if d.restarts == nil {
		return d.next1()
	}
	return d.nextHeld()
}

// nextHeld is Next for a schema with restart records.
func (d *Decoder) nextHeld() (Event, error) {
	if d.lent != nil {
		d.restarts.pool.put(d.lent)
		d.lent = nil
	}
	for {
		if e, mem, ok := d.restarts.pop(d.eof); ok {
			d.lent = mem
			return e, nil
		}
		if d.eof {
			return Event{}, io.EOF
		}
		e, err := d.next1()
		if err == io.EOF {
			d.eof = true
			continue
		}
		if err != nil {
			return Event{}, err
		}
		// A record's values are in the arena it was decoded into: no
		// other record is decoded before the events of its line are out.
		var mem *arena
		if d.restarts.pool != nil && e.Probe >= 0 {
			mem = d.rec
		}
		d.restarts.push(d.s, e, mem)
	}
}

// next1 returns the next event as decoded.
func (d *Decoder) next1() (Event, error) {
	for {
		if d.next < len(d.pending) {
			e := d.pending[d.next]
			d.pending[d.next] = Event{} // the caller owns it now
			d.next++
			return e, nil
		}
		// Drained: reuse the array. Slicing off the front instead left no
		// capacity, and every line allocated a new one.
		d.pending, d.next = d.pending[:0], 0
		if d.chunks != nil {
			if err := d.chunk(); err != nil {
				return Event{}, err
			}
			continue
		}
		line, partial, err := d.readLine()
		if err == io.EOF && line == nil {
			return Event{}, io.EOF
		}
		if err != nil && err != io.EOF {
			return Event{}, err
		}
		if line == nil {
			continue
		}
		d.line(line, partial)
	}
}

// readLine returns one line without its newline; partial is set when the
// input ended without one. Over-long lines come back truncated to MaxLine
// with the rest skipped.
func (d *Decoder) readLine() (line []byte, partial bool, err error) {
	b, err := d.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		acc := append([]byte(nil), b...)
		for err == bufio.ErrBufferFull {
			b, err = d.r.ReadSlice('\n')
			if len(acc) < MaxLine {
				acc = append(acc, b...)
			}
		}
		if len(acc) > MaxLine {
			d.pending = append(d.pending, Event{Probe: -1, Goid: -1, Err: "line longer than 1 MiB skipped", Raw: string(acc[:256])})
			return nil, false, nilEOF(err)
		}
		b = acc
	}
	if err == io.EOF {
		if len(b) == 0 {
			return nil, false, io.EOF
		}
		return b, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	b = b[:len(b)-1]
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b, false, nil
}

// chunk decodes the next line the chunk reader joined.
func (d *Decoder) chunk() error {
	l, err := d.chunks.next()
	if err != nil {
		return err
	}
	if l.long {
		d.pending = append(d.pending, Event{Probe: -1, Goid: -1, Err: "line longer than 1 MiB skipped", Raw: string(l.b)})
		return nil
	}
	b := l.b
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	d.tagCPU = l.cpu
	switch {
	case l.cut && bytes.HasPrefix(b, magic):
		d.sent.received++
		d.pending = append(d.pending, Event{Probe: -1, Goid: -1, Raw: string(b), Err: "partial record (its handler stopped before the end: a read failed)"})
	default:
		d.line(b, l.partial || l.cut)
	}
	return nil
}

func nilEOF(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

func (d *Decoder) line(line []byte, partial bool) {
	if bytes.HasPrefix(line, aggMagic) && !partial {
		if err := d.aggLine(line); err != nil {
			d.pending = append(d.pending, Event{Probe: -1, Goid: -1, Raw: string(line), Err: err.Error()})
		}
		return
	}
	i := 0 // a record's line starts with its magic, unless a program's output came first
	if !bytes.HasPrefix(line, magic) {
		i = bytes.Index(line, magic)
	}
	if i < 0 {
		if len(bytes.TrimSpace(line)) > 0 {
			d.pending = append(d.pending, Event{Probe: -1, Goid: -1, Raw: string(line)})
		}
		return
	}
	d.sent.received++
	if i > 0 {
		d.pending = append(d.pending, Event{Probe: -1, Goid: -1, Raw: string(line[:i])})
	}
	rec := line[i:]
	if partial {
		d.pending = append(d.pending, Event{Probe: -1, Goid: -1, Raw: string(rec), Err: "partial record (output ended mid-line)"})
		return
	}
	d.pending = append(d.pending, Event{})
	e := &d.pending[len(d.pending)-1]
	if err := d.record(e, rec[len(magic):]); err != nil {
		*e = Event{Probe: -1, Goid: -1, Raw: string(rec), Err: err.Error()}
	}
}
