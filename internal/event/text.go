package event

import (
	"fmt"
	"strconv"
	"strings"
)

// String is the value for people: Go-quoted strings, "…" after truncated
// ones, "!" for values the script could not read.
func (v Value) String() string { return string(v.AppendText(nil)) }

// AppendText appends v.String() to b: the table writes every value, and
// building a string for each was most of its time.
func (v *Value) AppendText(b []byte) []byte {
	if v.Missing {
		return append(b, '!')
	}
	switch v.Enc {
	case EncInt:
		if v.Type == "time.Duration" {
			return append(b, durationText(v.Int)...)
		}
		return strconv.AppendInt(b, v.Int, 10)
	case EncTime:
		return append(b, v.timeString()...)
	case EncBool:
		return strconv.AppendBool(b, v.Int != 0)
	case EncEnum:
		if v.Enumerator != "" {
			return append(b, v.Enumerator...)
		}
		return strconv.AppendInt(b, v.Int, 10)
	case EncUint:
		return strconv.AppendUint(b, v.Uint, 10)
	case EncPtr:
		return strconv.AppendUint(append(b, "0x"...), v.Uint, 16)
	case EncStr:
		b = appendQuoted(b, v.Bytes)
		if v.Truncated {
			b = append(b, "…"...)
		}
		return b
	case EncSlice:
		b = append(b, '[')
		for i := range v.Elems {
			if i > 0 {
				b = append(b, ' ')
			}
			b = v.Elems[i].AppendText(b)
		}
		if v.Truncated {
			b = append(b, " …"...)
		}
		b = append(b, "](len="...)
		return append(strconv.AppendInt(b, v.Len, 10), ')')
	case EncIface:
		if v.TypeWord == 0 {
			return append(b, "nil"...)
		}
		b = strconv.AppendUint(append(b, "(0x"...), v.TypeWord, 16)
		b = strconv.AppendUint(append(b, ", 0x"...), v.DataWord, 16)
		return append(b, ')')
	case EncDyn, EncDynWords:
		return append(b, v.Go.String()...)
	case EncMap:
		return append(b, v.mapString()...)
	case EncFloat:
		return strconv.AppendFloat(b, v.Float, 'g', -1, int(v.Int))
	case EncStack:
		b = append(b, '[')
		for i, a := range v.Stack {
			if i > 0 {
				b = append(b, ' ')
			}
			if i < len(v.Frames) && v.Frames[i] != "" {
				b = append(b, v.Frames[i]...)
			} else {
				b = strconv.AppendUint(append(b, "0x"...), a, 16)
			}
		}
		return append(b, ']')
	}
	return append(b, '?')
}

// String is a one-line form of an event, for logs and errors.
func (e Event) String() string {
	if e.Probe < 0 {
		if e.Err != "" {
			return "error: " + e.Err + ": " + e.Raw
		}
		return e.Raw
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s pid=%d tid=%d", e.Function, e.Site, e.PID, e.TID)
	if e.Goid >= 0 {
		fmt.Fprintf(&b, " g=%d", e.Goid)
	}
	for _, f := range e.Fields {
		b.WriteString(" " + f.Name + "=" + f.String())
	}
	return b.String()
}

// quotedAsIs says which bytes strconv.Quote leaves as they are: printable
// ASCII but the quote and the backslash.
var quotedAsIs = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendQuoted appends strconv.Quote(string(s)): the bytes it leaves as
// they are go in as one run, and strconv quotes only what follows the
// first that it would not (escaping is rune by rune, so the split
// changes nothing). strconv.AppendQuote was a quarter of writing the
// table of BPF records, whose strings are mostly plain ASCII.
func appendQuoted(b, s []byte) []byte {
	i := 0
	for i < len(s) && quotedAsIs[s[i]] {
		i++
	}
	b = append(append(b, '"'), s[:i]...)
	if i == len(s) {
		return append(b, '"')
	}
	n := len(b)
	b = strconv.AppendQuote(b, string(s[i:]))
	copy(b[n:], b[n+1:]) // its opening quote
	return b[:len(b)-1]
}
