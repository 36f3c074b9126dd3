package event

import (
	"math"
	"strconv"
)

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
