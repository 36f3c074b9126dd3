package event

import (
	"bytes"
	"errors"
	"fmt"
	"math"
)

// Value is one decoded field.
type Value struct {
	Name, Type string
	Enc        Enc
	// Missing: the script could not read the value ("!").
	Missing bool
	Int     int64  // int, bool, enum; a float's width in bits
	Uint    uint64 // uint, ptr
	// Enumerator names an enum's Int, "" when no enumerator has it.
	Enumerator string
	// Bytes of a string (what was read).
	Bytes []byte
	// Len is a string's real length, or a slice's length; -1 when unknown.
	Len int64
	// AtLeast: the real length is at least Len (the read hit its bound
	// before the string's end).
	AtLeast bool
	// Truncated: fewer bytes or elements were read than the value has.
	Truncated bool
	Cap       int64
	Elems     []Value
	// TypeWord and DataWord are an interface's two words.
	TypeWord, DataWord uint64
	// Go is an interface value decoded by its dynamic type (EncDyn).
	Go *GoValue
	// Pairs are a map's entries read, key then element (EncMap).
	Pairs []GoPart
	// Float is a floating-point value (EncFloat); Int holds its width in bits.
	Float float64
	Stack []uint64
	// Frames name Stack's frames, innermost first, when stap named them
	// in the record (kernel stacks) or the target's symbols were given
	// ("" for a frame neither covers); nil otherwise.
	Frames []string
	// Part places the value in a whole value, as its schema says.
	Part *Part
	// head is the start of the value's JSON in an event, made by the
	// decoder once for its schema field; nil for none.
	head *fieldHead
}

var errToken = errors.New("malformed value")

func decodeValue(fs *FieldSchema, tok []byte) (Value, error) {
	var v Value
	err := decodeInto(&v, fs, tok, nil)
	return v, err
}

// decodeInto decodes tok into the zero Value v in place: copying a
// decoded Value into a record (180 bytes with pointers, through write
// barriers) was a sixth of decoding. The memory the value keeps comes
// from a (nil: allocated for it alone).
func decodeInto(v *Value, fs *FieldSchema, tok []byte, a *slab) error {
	v.Name, v.Type, v.Enc, v.Part = fs.Name, fs.Type, fs.Enc, fs.Part
	// "!" and any token starting with it ("!0:", a BPF C string read whose
	// fault text precedes an empty string's token) could not be read.
	if len(tok) > 0 && tok[0] == '!' {
		v.Missing = true
		return nil
	}
	if err := v.parse(fs.Enc, fs.ElemEnc, tok, a); err != nil {
		return err
	}
	if fs.Enc == EncEnum {
		for _, e := range fs.Enums {
			if e.Value == v.Int {
				v.Enumerator = e.Name
				break
			}
		}
	}
	if fs.Max > 0 && v.Enc == EncStr && len(v.Bytes) > fs.Max {
		v.Bytes, v.Truncated = v.Bytes[:fs.Max], true
	}
	return nil
}

func (v *Value) parse(enc, elem Enc, tok []byte, a *slab) error {
	var ok bool
	switch enc {
	case EncInt, EncBool, EncEnum:
		v.Int, ok = atoi64(tok)
		if !ok {
			return errToken
		}
	case EncUint:
		if v.Uint, ok = decUint(tok); !ok {
			return errToken
		}
	case EncPtr:
		n, err := parseHex(tok)
		if err != nil {
			return err
		}
		v.Uint = n
	case EncStr:
		return v.parseStr(tok, a)
	case EncSlice:
		return v.parseSlice(elem, tok, a)
	case EncIface:
		t, d, found := bytes.Cut(tok, []byte("/"))
		if !found {
			return errToken
		}
		var err1, err2 error
		v.TypeWord, err1 = parseHex(t)
		v.DataWord, err2 = parseHex(d)
		if err1 != nil || err2 != nil {
			return errToken
		}
	case EncMap:
		return v.parseMap(tok)
	case EncTime:
		return v.parseTime(tok)
	case EncDynWords:
		g, word, err := parseDynWords(tok)
		if err != nil {
			return err
		}
		v.Go, v.TypeWord, v.DataWord, v.Uint = g, g.TypeWord, g.DataWord, word
	case EncDyn:
		g, err := parseDyn(tok)
		if err != nil {
			return err
		}
		v.Go, v.TypeWord, v.DataWord, v.Truncated = g, g.TypeWord, g.DataWord, g.Truncated
	case EncFloat:
		// "f" and a float64's bits, or "g" and a float32's.
		if len(tok) < 2 || tok[0] != 'f' && tok[0] != 'g' {
			return errToken
		}
		n, ok := hexUint(tok[1:])
		if !ok {
			return errToken
		}
		v.Float, v.Int = math.Float64frombits(n), 64
		if tok[0] == 'g' {
			v.Float, v.Int = float64(math.Float32frombits(uint32(n))), 32
		}
	case EncStack:
		if len(tok) == 1 && tok[0] == '-' {
			return nil
		}
		// stap 5.1's backtrace() ends with a space, so the list may end
		// with an empty item. A kernel frame comes as ADDR:NAME, with
		// stap's name for it (its hex address when stap has none).
		tok = bytes.TrimSuffix(tok, []byte(","))
		v.Stack = a.wordSlice(bytes.Count(tok, []byte(",")) + 1)
		named := bytes.IndexByte(tok, ':') >= 0
		if named {
			v.Frames = a.strSlice(len(v.Stack))
		}
		for i := range v.Stack {
			// ADDR (parseHex's [0x]DIGITS) up to a ':' or the item's
			// end, read as it is found: cutting each item and then its
			// address cost a tenth of decoding kernel records.
			k := 0
			if len(tok) >= 2 && tok[0] == '0' && tok[1] == 'x' {
				k = 2
			}
			start := k
			var n uint64
			for ; k < len(tok) && tok[k] != ':' && tok[k] != ','; k++ {
				d := unhex[tok[k]]
				if d == 0xff || n>>60 != 0 {
					return errToken
				}
				n = n<<4 | uint64(d)
			}
			if k == start {
				return errToken
			}
			v.Stack[i] = n
			var name []byte
			if k < len(tok) && tok[k] == ':' {
				name, tok = tok[k+1:], nil
				if j := bytes.IndexByte(name, ','); j >= 0 {
					name, tok = name[:j], name[j+1:]
				}
			} else if k < len(tok) {
				tok = tok[k+1:]
			} else {
				tok = nil
			}
			if named && len(name) > 0 && !bytes.HasPrefix(name, []byte("0x")) {
				v.Frames[i] = a.name(name)
			}
		}
	default:
		return fmt.Errorf("unknown encoding %q", enc)
	}
	return nil
}

func parseHex(b []byte) (uint64, error) {
	b = bytes.TrimPrefix(b, []byte("0x"))
	n, ok := hexUint(b)
	if !ok {
		return 0, errToken
	}
	return n, nil
}

// parseStr reads LEN:HEX, LEN+:HEX, ?:HEX and the word form LEN:wHEX.
func (v *Value) parseStr(tok []byte, a *slab) error {
	colon := indexByte(tok, ':')
	if colon < 0 {
		return errToken
	}
	l, data := tok[:colon], tok[colon+1:]
	unknown := len(l) == 1 && l[0] == '?'
	if !unknown {
		if n := len(l); n > 0 && l[n-1] == '+' {
			v.AtLeast = true
			l = l[:n-1]
		}
		var ok bool
		if v.Len, ok = atoi64(l); !ok || v.Len < 0 {
			return errToken
		}
	}
	var raw []byte
	if len(data) == 1 && data[0] == 0x1c {
		// A BPF Go string whose words did not come (rawgo.go): no bytes.
		data = data[:0]
	}
	if len(data) > 0 && data[0] == 'w' {
		data = data[1:]
		if len(data)%16 != 0 {
			return errToken
		}
		raw = a.byteSlice(len(data) / 2)
		if !unhexWords(raw, data) {
			return errToken
		}
	} else {
		if len(data)%2 != 0 {
			return errToken
		}
		raw = a.byteSlice(len(data) / 2)
		if !unhexBytes(raw, data) {
			return errToken
		}
	}
	switch {
	case unknown:
		if i := bytes.IndexByte(raw, 0); i >= 0 {
			raw = raw[:i:i]
			v.Len = int64(i)
		} else {
			v.Len, v.AtLeast = int64(len(raw)), true
		}
	case int64(len(raw)) > v.Len:
		raw = raw[:v.Len:v.Len] // words read past the end
	}
	v.Bytes = raw
	v.Truncated = v.AtLeast || int64(len(raw)) < v.Len
	return nil
}

// parseSlice reads LEN/CAP:E,E,...
func (v *Value) parseSlice(elem Enc, tok []byte, a *slab) error {
	head, data, found := bytes.Cut(tok, []byte(":"))
	if !found {
		return errToken
	}
	l, c, found := bytes.Cut(head, []byte("/"))
	var ok1, ok2 bool
	v.Len, ok1 = atoi64(l)
	v.Cap, ok2 = atoi64(c)
	if !found || !ok1 || !ok2 {
		return errToken
	}
	if len(data) > 0 {
		v.Elems = a.valueSlice(bytes.Count(data, []byte(",")) + 1)
		for i := range v.Elems {
			e := data
			if j := bytes.IndexByte(data, ','); j >= 0 {
				e, data = data[:j], data[j+1:]
			}
			v.Elems[i].Enc = elem
			if err := v.Elems[i].parse(elem, "", e, a); err != nil {
				return err
			}
		}
	}
	v.Truncated = int64(len(v.Elems)) < v.Len
	return nil
}
