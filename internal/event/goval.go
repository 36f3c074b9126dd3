package event

import (
	"bytes"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
)

// A Go interface value decoded by its dynamic type (the "dyn" token):
//
//	dyn  := "nil" | "0x"HEX"/0x"HEX "=" ( LEN":"HEX | "!" ) [ "(" part { "," part } ")" ]
//	part := "s"STR | "i"DEC | "u"DEC | "f"HEX | "g"HEX | "d"dyn | "!"
//
// The words are the interface's type and data words; LEN:HEX is the
// dynamic type's name as its runtime descriptor spells it, "!" when that
// read faulted (a page the program had not touched); parts are what
// the script read of the value: a string (s), a signed or unsigned integer
// (i, u), a float64's or float32's bits (f, g), a nested interface (d), or
// a read that faulted (!). A token cut short (a fault part-way) decodes
// as far as it goes, marked truncated.

// GoValue is one decoded interface value.
type GoValue struct {
	TypeWord, DataWord uint64
	// Type is the dynamic type's name, "" for a nil interface or when
	// TypeUnread.
	Type string
	// TypeUnread: the interface is not nil but its type's name could not
	// be read.
	TypeUnread bool
	Parts      []GoPart
	// Truncated: the token ended early (a read faulted), so Parts may
	// miss some.
	Truncated bool
}

// GoPart is one member read of a dynamic value; Kind says which field
// holds it: 's' Str (Len its real length), 'i' Int, 'u' Uint, 'f'/'g'
// Float, 'd' Dyn, '!' unreadable.
type GoPart struct {
	Kind  byte
	Str   []byte
	Len   int64
	Int   int64
	Uint  uint64
	Float float64
	Dyn   *GoValue
}

// parseDyn decodes a whole dyn token.
func parseDyn(tok []byte) (*GoValue, error) {
	p := dynParser{b: tok}
	g, err := p.dyn()
	if err != nil {
		return nil, err
	}
	if p.i != len(p.b) && !g.Truncated {
		return nil, errToken
	}
	return g, nil
}

type dynParser struct {
	b []byte
	i int
}

func (p *dynParser) eof() bool { return p.i >= len(p.b) }

// until returns the bytes up to (not including) the first of stops.
func (p *dynParser) until(stops string) []byte {
	j := p.i
	for j < len(p.b) && strings.IndexByte(stops, p.b[j]) < 0 {
		j++
	}
	s := p.b[p.i:j]
	p.i = j
	return s
}

func (p *dynParser) dyn() (*GoValue, error) {
	if bytes.HasPrefix(p.b[p.i:], []byte("nil")) {
		p.i += 3
		return &GoValue{}, nil
	}
	g := &GoValue{}
	words := p.until("=,)")
	t, d, ok := bytes.Cut(words, []byte("/"))
	if !ok {
		return nil, errToken
	}
	var err error
	if g.TypeWord, err = parseHex(t); err != nil {
		return nil, err
	}
	if g.DataWord, err = parseHex(d); err != nil {
		return nil, err
	}
	if p.eof() || p.b[p.i] != '=' {
		g.Truncated = true
		return g, nil
	}
	p.i++
	if !p.eof() && p.b[p.i] == '!' {
		p.i++
		g.TypeUnread = true
	} else {
		name, n, err := p.str()
		if err != nil {
			return nil, err
		}
		g.Type = string(name)
		if int64(len(name)) < n {
			g.Truncated = true
		}
	}
	if p.eof() || p.b[p.i] != '(' {
		return g, nil
	}
	p.i++
	for {
		if p.eof() {
			g.Truncated = true
			return g, nil
		}
		part, err := p.part()
		if err != nil {
			return nil, err
		}
		g.Parts = append(g.Parts, part)
		if part.Dyn != nil && part.Dyn.Truncated || p.eof() {
			g.Truncated = true
			return g, nil
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ')':
			p.i++
			return g, nil
		default:
			return nil, errToken
		}
	}
}

// str reads LEN:HEX, the bytes read and the real length.
func (p *dynParser) str() ([]byte, int64, error) {
	l := p.until(":,)")
	n, ok := atoi64(l)
	if !ok || n < 0 || p.eof() || p.b[p.i] != ':' {
		return nil, 0, errToken
	}
	p.i++
	h := p.until(",)(=")
	if len(h)%2 != 0 {
		h = h[:len(h)-1] // a fault between the two digits of a byte
	}
	raw := make([]byte, len(h)/2)
	if _, err := hex.Decode(raw, h); err != nil {
		return nil, 0, errToken
	}
	return raw, n, nil
}

func (p *dynParser) part() (GoPart, error) {
	k := p.b[p.i]
	p.i++
	part := GoPart{Kind: k}
	switch k {
	case 's':
		s, n, err := p.str()
		if err != nil {
			return part, err
		}
		part.Str, part.Len = s, n
	case 'i', 'b':
		n, ok := atoi64(p.until(",)="))
		if !ok {
			return part, errToken
		}
		part.Int = n
	case 'u':
		n, err := strconv.ParseUint(string(p.until(",)=")), 10, 64)
		if err != nil {
			return part, errToken
		}
		part.Uint = n
	case 'f', 'g':
		n, err := strconv.ParseUint(string(p.until(",)")), 16, 64)
		if err != nil {
			return part, errToken
		}
		if k == 'f' {
			part.Float = math.Float64frombits(n)
		} else {
			part.Float = float64(math.Float32frombits(uint32(n)))
		}
	case 'd':
		d, err := p.dyn()
		if err != nil {
			return part, err
		}
		part.Dyn = d
	case '!':
	default:
		return part, errToken
	}
	return part, nil
}
