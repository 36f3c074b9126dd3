package event

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/bits"
	"strconv"
)

var errTokens = errors.New("wrong number of fields")

func isDash(b []byte) bool { return len(b) == 1 && b[0] == '-' }

// pidTID reads the BPF head's "PID<<32|TID" (each perf event a BPF
// print sends is what a hit costs: one number where there were two).
func pidTID(b []byte) (pid, tid int, ok1, ok2 bool) {
	v, ok := atoi64(b)
	if !ok || v < 0 {
		return 0, 0, false, false
	}
	return int(v >> 32), int(v & 0xffffffff), true, true
}

// record decodes the part after the magic into e, a zero Event in the
// decoder's queue: returning the 168-byte Event to be copied there, and
// building it whole over the zero one, were copies of every record.
func (d *Decoder) record(e *Event, b []byte) error {
	var head [6][]byte
	for k := range head {
		var tok []byte
		tok, b = nextToken(b)
		if tok == nil {
			return errTokens
		}
		head[k] = tok
	}
	probe, ok := atoi(head[0])
	if !ok || probe < 0 || probe >= len(d.s.Probes) {
		return errors.New("unknown probe " + strconv.Quote(string(head[0])))
	}
	ps := &d.s.Probes[probe]
	pd := &d.probes[probe]
	// e is the queue's zero Event: each field is written once.
	e.Probe, e.Function, e.Site, e.Goid, e.head = probe, ps.Function, ps.Site, -1, pd.head
	if d.reuse && d.restarts != nil {
		// A held record's values must outlive the next record's.
		d.rec = d.restarts.pool.get(d.rec)
	}
	t, ok1 := atoi64(head[1])
	cpu, ok2 := atoi(head[2])
	if !ok2 && d.tagCPU >= 0 && isDash(head[2]) {
		cpu, ok2 = d.tagCPU, true
	}
	pid, ok3 := atoi(head[3])
	tid, ok4 := atoi(head[4])
	if !ok4 && len(head[4]) == 1 && head[4][0] == '=' {
		pid, tid, ok3, ok4 = pidTID(head[3])
	}
	if !(ok1 && ok2 && ok3 && ok4) {
		return errors.New("bad record header")
	}
	e.Time, e.CPU, e.PID, e.TID = t, cpu, pid, tid
	if g := head[5]; !isDash(g) {
		gv, ok := atoi64(g)
		if !ok {
			return errors.New("bad goroutine id")
		}
		if gv >= 0 {
			e.Goid = gv
		}
	}
	e.Fields = d.rec.values(len(ps.Fields), d.reuse)
	d.rec.mem.rewind()
	fds := pd.fields[:len(ps.Fields)]
	for k := range ps.Fields {
		var tok []byte
		tok, b = nextToken(b)
		if tok == nil {
			return errTokens
		}
		var err error
		v := &e.Fields[k]
		v.head = fds[k].head
		if c := fds[k].stack; c != nil {
			err = c.stackInto(v, &ps.Fields[k], tok, &d.rec.mem)
		} else {
			err = decodeInto(v, &ps.Fields[k], tok, &d.rec.mem)
		}
		if err != nil {
			return errors.New(ps.Fields[k].Name + ": " + err.Error())
		}
	}
	if tok, _ := nextToken(b); tok != nil {
		return errTokens
	}
	return nil
}

func nextToken(b []byte) (tok, rest []byte) {
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	if len(b) == 0 {
		return nil, nil
	}
	i := indexByte(b, ' ')
	if i < 0 {
		return b, nil
	}
	return b[:i], b[i+1:]
}

// indexByte is bytes.IndexByte(b, c), the first 8 bytes looked at as one
// word: most tokens are short numbers and most BPF pieces a few bytes,
// whose ends the word finds before IndexByte's call and set-up would
// (it was a tenth of decoding); longer ones still get IndexByte.
func indexByte(b []byte, c byte) int {
	if len(b) < 8 {
		for i := range b {
			if b[i] == c {
				return i
			}
		}
		return -1
	}
	// The lowest byte equal to c is the lowest zero byte of x, the
	// lowest top bit set here (a borrow can set one only above it).
	x := binary.LittleEndian.Uint64(b) ^ ones*uint64(c)
	if t := (x - ones) &^ x & high; t != 0 {
		return bits.TrailingZeros64(t) / 8
	}
	if i := bytes.IndexByte(b[8:], c); i >= 0 {
		return 8 + i
	}
	return -1
}

func atoi(b []byte) (int, bool) {
	n, ok := atoi64(b)
	return int(n), ok && n >= -1<<31 && n < 1<<31
}

// atoi64 parses a decimal without allocating.
func atoi64(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	n, ok := decUint(b)
	if !ok {
		return 0, false
	}
	if neg {
		return -int64(n), true
	}
	return int64(n), true
}
