package event

import (
	"bytes"
	"encoding/hex"
	"fmt"
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

// String is the value as the program's own fmt %v prints it, where the
// type is one the decoder knows; otherwise the type name and what was read
// of it, in a form no %v output has ("<T 0xDATA>").
func (g *GoValue) String() string {
	if g.Type == "" && g.TypeWord == 0 {
		return "<nil>"
	}
	s, ok := g.format()
	if !ok {
		var parts []string
		for _, p := range g.Parts {
			parts = append(parts, p.String())
		}
		s = fmt.Sprintf("<%s 0x%x%s>", g.Type, g.DataWord, strings.Join(append([]string{""}, parts...), " "))
	}
	if g.Truncated {
		s += "…"
	}
	return s
}

// String is one part as %v prints it.
func (p GoPart) String() string {
	switch p.Kind {
	case 's':
		s := string(p.Str)
		if int64(len(p.Str)) < p.Len {
			s += "…"
		}
		return s
	case 'i':
		return strconv.FormatInt(p.Int, 10)
	case 'b':
		return strconv.FormatBool(p.Int != 0)
	case 'u':
		return strconv.FormatUint(p.Uint, 10)
	case 'f':
		return strconv.FormatFloat(p.Float, 'g', -1, 64)
	case 'g':
		return strconv.FormatFloat(p.Float, 'g', -1, 32)
	case 'd':
		return p.Dyn.String()
	}
	return "!"
}

// format spells g as fmt's %v does for the standard library's error types
// (their Error methods' own rules), time's types, and values whose kind the
// script read them by (numbers, strings, bools).
func (g *GoValue) format() (string, bool) {
	ps := g.Parts
	str := func(i int) string {
		if i < len(ps) {
			return ps[i].String()
		}
		return "…"
	}
	isNil := func(i int) bool { return i < len(ps) && ps[i].Kind == 'd' && ps[i].Dyn.TypeWord == 0 }
	switch g.Type {
	case "*errors.errorString", "*fmt.wrapError", "*fmt.wrapErrors":
		return str(0), len(ps) > 0
	case "*fs.PathError":
		return str(0) + " " + str(1) + ": " + str(2), len(ps) > 0
	case "*os.SyscallError":
		return str(0) + ": " + str(1), len(ps) > 0
	case "*net.OpError":
		if len(ps) == 0 {
			return "", false
		}
		s := str(0)
		if str(1) != "" {
			s += " " + str(1)
		}
		if !isNil(2) {
			s += " " + str(2)
		}
		if !isNil(3) {
			if !isNil(2) {
				s += "->"
			} else {
				s += " "
			}
			s += str(3)
		}
		return s + ": " + str(4), true
	case "context.deadlineExceededError":
		return "context deadline exceeded", true
	case "syscall.Errno":
		if len(ps) == 1 && ps[0].Kind == 'u' {
			return errnoText(ps[0].Uint), true
		}
	case "time.Duration":
		if len(ps) == 1 && ps[0].Kind == 'i' {
			return durationText(ps[0].Int), true
		}
	case "time.Time":
		if len(ps) == 3 && ps[0].Kind == 'u' && ps[1].Kind == 'u' && ps[2].Kind == 'u' && ps[2].Uint == 0 {
			return timeText(ps[0].Uint, int64(ps[1].Uint)), true
		}
		return "", false
	case "bool":
		if len(ps) == 1 && ps[0].Kind == 'i' {
			return strconv.FormatBool(ps[0].Int != 0), true
		}
	case "complex128", "complex64":
		if len(ps) == 2 {
			bits := 64
			if g.Type == "complex64" {
				bits = 32
			}
			im := strconv.FormatFloat(ps[1].Float, 'g', -1, bits)
			if im[0] != '-' && im[0] != '+' {
				im = "+" + im
			}
			return "(" + strconv.FormatFloat(ps[0].Float, 'g', -1, bits) + im + "i)", true
		}
	}
	if len(ps) == 1 && strings.IndexByte("siufg", ps[0].Kind) >= 0 {
		// A number or string read by its kind: a named type with a String
		// method would print otherwise, which the decoder cannot know.
		return str(0), true
	}
	return "", false
}

// appendJSONParts adds what JSON carries beside an interface's %v text:
// the dynamic type, the two words and the decoded parts, separately.
func (g *GoValue) appendJSONParts(b []byte) []byte {
	b = append(b, `,"go_type":`...)
	if g.Type == "" {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, g.Type)
	}
	if g.TypeUnread {
		b = append(b, `,"go_type_unreadable":true`...)
	}
	b = append(b, `,"type_word":`...)
	b = appendHexWord(b, g.TypeWord)
	b = append(b, `,"data_word":`...)
	b = appendHexWord(b, g.DataWord)
	if g.Type == "syscall.Errno" && len(g.Parts) == 1 {
		if n := ErrnoName(g.Parts[0].Uint); n != "" {
			b = append(b, `,"errno":`...)
			b = appendJSONString(b, n)
		}
	}
	if g.Truncated {
		b = append(b, `,"truncated":true`...)
	}
	if len(g.Parts) > 0 {
		b = append(b, `,"parts":[`...)
		for i, p := range g.Parts {
			if i > 0 {
				b = append(b, ',')
			}
			b = p.appendJSON(b)
		}
		b = append(b, ']')
	}
	return b
}

func (p GoPart) appendJSON(b []byte) []byte {
	switch p.Kind {
	case 's':
		return appendJSONString(b, p.Str)
	case 'i':
		return strconv.AppendInt(b, p.Int, 10)
	case 'b':
		return strconv.AppendBool(b, p.Int != 0)
	case 'u':
		return strconv.AppendUint(b, p.Uint, 10)
	case 'f':
		return appendJSONFloat(b, p.Float, 64)
	case 'g':
		return appendJSONFloat(b, p.Float, 32)
	case 'd':
		b = append(b, `{"value":`...)
		b = appendJSONString(b, p.Dyn.String())
		b = p.Dyn.appendJSONParts(b)
		return append(b, '}')
	}
	return append(b, "null"...)
}

// appendJSONFloat writes a number, or a string for what JSON has no
// number for (NaN, ±Inf).
func appendJSONFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return appendJSONString(b, strconv.FormatFloat(f, 'g', -1, bits))
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}
