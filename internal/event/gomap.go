package event

import (
	"bytes"
	"slices"
	"strings"
)

// A Go map (the "map" token): "LEN:" then the entries read, "K=V" joined
// by commas, each side a part as in a dyn token (i, u, b, s). The script
// reads the first entries in the runtime's own order; String sorts them
// as fmt does.

// parseMap decodes LEN:K=V,K=V into v.Len and v.Pairs.
func (v *Value) parseMap(tok []byte) error {
	l, rest, found := bytes.Cut(tok, []byte(":"))
	var ok bool
	if v.Len, ok = atoi64(l); !found || !ok || v.Len < 0 {
		return errToken
	}
	p := dynParser{b: rest}
	for !p.eof() {
		k, err := p.part()
		if err != nil || p.eof() || p.b[p.i] != '=' {
			// A fault part-way: the entries before it stand.
			v.Truncated = true
			return nil
		}
		p.i++
		if p.eof() {
			v.Truncated = true
			return nil
		}
		e, err := p.part()
		if err != nil {
			v.Truncated = true
			return nil
		}
		v.Pairs = append(v.Pairs, k, e)
		if !p.eof() {
			if p.b[p.i] != ',' {
				return errToken
			}
			p.i++
		}
	}
	v.Truncated = v.Truncated || int64(len(v.Pairs)/2) < v.Len
	return nil
}

// mapString is fmt's %v of the map: map[k:v k:v], keys sorted (numbers
// by value, strings by bytes, false before true), "…" when entries are
// missing.
func (v Value) mapString() string {
	type kv struct{ k, e GoPart }
	var es []kv
	for i := 0; i+1 < len(v.Pairs); i += 2 {
		es = append(es, kv{v.Pairs[i], v.Pairs[i+1]})
	}
	slices.SortStableFunc(es, func(a, b kv) int { return comparePart(a.k, b.k) })
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.k.String() + ":" + e.e.String()
	}
	s := "map[" + strings.Join(parts, " ")
	if v.Truncated {
		s += " …"
	}
	return s + "]"
}

func comparePart(a, b GoPart) int {
	switch {
	case a.Kind == 's':
		return bytes.Compare(a.Str, b.Str)
	case a.Kind == 'u':
		return cmp3(a.Uint < b.Uint, a.Uint > b.Uint)
	}
	return cmp3(a.Int < b.Int, a.Int > b.Int)
}

func cmp3(lt, gt bool) int {
	if lt {
		return -1
	}
	if gt {
		return 1
	}
	return 0
}
