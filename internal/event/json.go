package event

import (
	"encoding/hex"
	"strconv"
	"unicode/utf8"
)

// The JSON of events is written by hand, appending to one buffer: the run
// writes every event this way, and encoding/json's reflection and
// re-validation of MarshalJSON output cost three quarters of the time.

// MarshalJSON writes {"type":…, "value":…} plus "hex" for strings that are
// not UTF-8, and "truncated"/"missing"/"len"/"cap" when they apply.
func (v Value) MarshalJSON() ([]byte, error) { return v.AppendJSON(nil), nil }

// AppendJSON appends the value's JSON object to b.
func (v Value) AppendJSON(b []byte) []byte { return v.appendJSON(b) }

// appendJSON is AppendJSON without copying the Value (272 bytes) at every
// call: an event's fields are written through it.
func (v *Value) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendJSONString(b, v.Type)
	return v.appendJSONRest(b)
}

// fieldHead is what an event's JSON has for a field before the rest of
// its value: "name":{"type":"T". The decoder makes one per schema field
// (Value.head) instead of quoting both for every record.
type fieldHead struct {
	name, typ string
	json      []byte
	// stack is the field's backtrace cache, nil but for a backtrace.
	stack *stackCache
}

func newFieldHead(name, typ string) *fieldHead {
	b := appendJSONString(nil, name)
	b = append(b, `:{"type":`...)
	return &fieldHead{name: name, typ: typ, json: appendJSONString(b, typ)}
}

// appendJSONRest is the value's JSON after its "type".
func (v *Value) appendJSONRest(b []byte) []byte {
	if v.Missing {
		return append(b, `,"missing":true}`...)
	}
	b = append(b, `,"value":`...)
	if v.Enc == EncStack && v.head != nil && v.head.stack != nil {
		if j := v.head.stack.json.Load(); j != nil && j.is(v) {
			return append(append(b, j.json...), '}')
		}
	}
	b = v.appendValue(b)
	switch v.Enc {
	case EncEnum:
		// The number beside the name, for tools that compare values.
		b = append(b, `,"int":`...)
		b = strconv.AppendInt(b, v.Int, 10)
	case EncStack:
		b = appendFrames(b, v.Frames)
	case EncStr:
		if !utf8.Valid(v.Bytes) {
			b = append(b, `,"hex":"`...)
			b = hex.AppendEncode(b, v.Bytes)
			b = append(b, '"')
		}
		if v.Truncated {
			b = append(b, `,"truncated":true`...)
		}
		b = append(b, `,"len":`...)
		b = strconv.AppendInt(b, int64(v.Len), 10)
	case EncDyn, EncDynWords:
		b = v.Go.appendJSONParts(b)
	case EncInt:
		if v.Type == "time.Duration" {
			b = append(b, `,"text":`...)
			b = appendJSONString(b, durationText(v.Int))
		}
	case EncTime:
		b = append(b, `,"wall":`...)
		b = strconv.AppendUint(b, v.Uint, 10)
		b = append(b, `,"ext":`...)
		b = strconv.AppendInt(b, v.Int, 10)
		b = append(b, `,"loc":`...)
		b = appendHexWord(b, v.DataWord)
	case EncMap:
		b = append(b, `,"len":`...)
		b = strconv.AppendInt(b, v.Len, 10)
		b = append(b, `,"entries":[`...)
		for i := 0; i+1 < len(v.Pairs); i += 2 {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"key":`...)
			b = v.Pairs[i].appendJSON(b)
			b = append(b, `,"value":`...)
			b = v.Pairs[i+1].appendJSON(b)
			b = append(b, '}')
		}
		b = append(b, ']')
		if v.Truncated {
			b = append(b, `,"truncated":true`...)
		}
	case EncSlice:
		b = append(b, `,"len":`...)
		b = strconv.AppendInt(b, int64(v.Len), 10)
		b = append(b, `,"cap":`...)
		b = strconv.AppendInt(b, int64(v.Cap), 10)
		if v.Truncated {
			b = append(b, `,"truncated":true`...)
		}
	}
	return append(b, '}')
}

func appendStack(b []byte, stack []uint64) []byte {
	b = append(b, '[')
	for i, a := range stack {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHexWord(b, a)
	}
	return append(b, ']')
}

// appendFrames writes the names beside a stack's addresses; null where
// the symbols do not reach.
func appendFrames(b []byte, frames []string) []byte {
	if frames == nil {
		return b
	}
	b = append(b, `,"frames":[`...)
	for i, n := range frames {
		if i > 0 {
			b = append(b, ',')
		}
		if n == "" {
			b = append(b, "null"...)
		} else {
			b = appendJSONString(b, n)
		}
	}
	return append(b, ']')
}

func appendHexWord(b []byte, x uint64) []byte {
	// By hand: strconv.AppendUint was a tenth of writing stacks; and
	// into an array, then one append: a bounds-checked append per digit
	// was most of what remained.
	var t [20]byte // "0x, 16 digits, "
	i := len(t) - 1
	t[i] = '"'
	for {
		i--
		t[i] = hexDigits[x&0xf]
		if x >>= 4; x == 0 {
			break
		}
	}
	i -= 3
	t[i], t[i+1], t[i+2] = '"', '0', 'x'
	return append(b, t[i:]...)
}

func (v *Value) appendValue(b []byte) []byte {
	switch v.Enc {
	case EncInt:
		return strconv.AppendInt(b, v.Int, 10)
	case EncBool:
		return strconv.AppendBool(b, v.Int != 0)
	case EncEnum:
		if v.Enumerator != "" {
			return appendJSONString(b, v.Enumerator)
		}
		return strconv.AppendInt(b, v.Int, 10)
	case EncUint:
		return strconv.AppendUint(b, v.Uint, 10)
	case EncPtr:
		return appendHexWord(b, v.Uint)
	case EncStr:
		return appendJSONString(b, v.Bytes)
	case EncSlice:
		b = append(b, '[')
		for i := range v.Elems {
			if i > 0 {
				b = append(b, ',')
			}
			b = v.Elems[i].appendValue(b)
		}
		return append(b, ']')
	case EncIface:
		b = append(b, `{"type_word":`...)
		b = appendHexWord(b, v.TypeWord)
		b = append(b, `,"data_word":`...)
		b = appendHexWord(b, v.DataWord)
		return append(b, '}')
	case EncDyn, EncDynWords:
		return appendJSONString(b, v.Go.String())
	case EncMap:
		return appendJSONString(b, v.mapString())
	case EncTime:
		return appendJSONString(b, v.timeString())
	case EncFloat:
		return appendJSONFloat(b, v.Float, int(v.Int))
	case EncStack:
		return appendStack(b, v.Stack)
	}
	return append(b, "null"...)
}

const hexDigits = "0123456789abcdef"

// plain says which bytes a JSON string holds as they are: printable
// ASCII but the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString quotes s as a JSON string; each run of invalid UTF-8
// becomes one U+FFFD (the exact bytes are in "hex").
func appendJSONString[T string | []byte](b []byte, s T) []byte {
	b = append(b, '"')
	invalid := false // the previous byte was invalid UTF-8
	for i := 0; i < len(s); {
		// The bytes that need no escape, appended as one run.
		j := i
		for j+8 <= len(s) && plainWord(load64(s, j)) {
			j += 8
		}
		for j < len(s) && plain[s[j]] {
			j++
		}
		if j > i {
			b = append(b, s[i:j]...)
			i = j
			invalid = false
			continue
		}
		c := s[i]
		var r rune
		var n int
		if c < utf8.RuneSelf {
			r, n = rune(c), 1
		} else {
			r, n = utf8.DecodeRuneInString(string(s[i:min(len(s), i+utf8.UTFMax)]))
		}
		i += n
		if r == utf8.RuneError && n == 1 {
			if !invalid {
				b = utf8.AppendRune(b, utf8.RuneError)
			}
			invalid = true
			continue
		}
		invalid = false
		switch {
		case r == '"':
			b = append(b, `\"`...)
		case r == '\\':
			b = append(b, `\\`...)
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			b = append(b, `\u`...)
			b = append(b, hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// plainWord says whether all 8 bytes of x are plain: a string's bytes
// looked up one at a time in plain were most of quoting it, and strings,
// probe and frame names are mostly plain ASCII. Each test below finds
// whether some byte is a case (not which one): a top bit (not ASCII), a
// byte under 0x20, a quote or a backslash (a zero byte of x^c).
func plainWord(x uint64) bool {
	q := x ^ ones*'"'
	bs := x ^ ones*'\\'
	return (x|(x-ones*0x20)&^x|(q-ones)&^q|(bs-ones)&^bs)&high == 0
}

// load64 is the little-endian word at s[i:i+8].
func load64[T string | []byte](s T, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// probeHead is an event's JSON up to its time: "probe":"F","site":"S",
// "time_ns": made once for each probe of the schema (Event.head), not
// quoted for every record.
type probeHead struct {
	function string
	site     Site
	json     []byte
}

func newProbeHead(function string, site Site) *probeHead {
	b := append([]byte(`"probe":`), appendJSONString(nil, function)...)
	b = append(b, `,"site":`...)
	b = appendJSONString(b, string(site))
	return &probeHead{function: function, site: site, json: append(b, `,"time_ns":`...)}
}

// MarshalJSON writes one event for people and tools:
// {"probe":"main.Str","site":"entry","time_ns":…,"cpu":…,"pid":…,"tid":…,
// "goid":…,"fields":{"s":{"type":"string","value":"hello","len":5}}}.
func (e Event) MarshalJSON() ([]byte, error) { return e.AppendJSON(nil), nil }

// AppendJSON appends the event's JSON object to b; through a pointer, as
// a sink writes every event (the copy of a value was a share of it).
func (e *Event) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	if e.Host != "" {
		b = append(b, `"host":`...)
		b = appendJSONString(b, e.Host)
		b = append(b, ',')
	}
	if e.Probe < 0 {
		b = append(b, `"raw":`...)
		b = appendJSONString(b, e.Raw)
		if e.Err != "" {
			b = append(b, `,"error":`...)
			b = appendJSONString(b, e.Err)
		}
		return append(b, '}')
	}
	if h := e.head; h != nil && h.function == e.Function && h.site == e.Site {
		b = append(b, h.json...)
	} else {
		b = append(b, `"probe":`...)
		b = appendJSONString(b, e.Function)
		b = append(b, `,"site":`...)
		b = appendJSONString(b, string(e.Site))
		b = append(b, `,"time_ns":`...)
	}
	b = strconv.AppendInt(b, e.Time, 10)
	b = append(b, `,"cpu":`...)
	b = strconv.AppendInt(b, int64(e.CPU), 10)
	b = append(b, `,"pid":`...)
	b = strconv.AppendInt(b, int64(e.PID), 10)
	b = append(b, `,"tid":`...)
	b = strconv.AppendInt(b, int64(e.TID), 10)
	if e.Goid >= 0 {
		b = append(b, `,"goid":`...)
		b = strconv.AppendInt(b, e.Goid, 10)
	}
	b = append(b, `,"fields":{`...)
	for i := 0; i < len(e.Fields); {
		if i > 0 {
			b = append(b, ',')
		}
		f := &e.Fields[i]
		if f.Part == nil {
			// The head was written for the schema's name and type; a
			// value renamed since is quoted anew.
			if h := f.head; h != nil && h.name == f.Name && h.typ == f.Type {
				b = append(b, h.json...)
				b = f.appendJSONRest(b)
			} else {
				b = appendJSONString(b, f.Name)
				b = append(b, ':')
				b = f.appendJSON(b)
			}
			i++
			continue
		}
		// The tokens of one whole value are consecutive.
		j := i + 1
		for j < len(e.Fields) && e.Fields[j].Part != nil && e.Fields[j].Part.Whole == f.Part.Whole {
			j++
		}
		b = appendJSONString(b, f.Part.Whole)
		b = append(b, ':')
		b = appendWhole(b, e.Fields[i:j], 0, f.Part.Type)
		i = j
	}
	return append(b, "}}"...)
}
