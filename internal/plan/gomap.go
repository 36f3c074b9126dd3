package plan

import (
	"fmt"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/goruntime"
)

// MapKind is how a map key or element prints.
type MapKind int

const (
	MapInt  MapKind = iota // a signed integer
	MapUint                // an unsigned integer
	MapBool
	MapStr // a Go string
)

// MapSlot is one side (key or element) of a map slot.
type MapSlot struct {
	Kind MapKind
	Size int64
}

// Map prints a Go map: its length and its first Max entries, read from
// the runtime layout of the binary's Go version.
type Map struct {
	X     Expr // the map pointer
	Swiss bool
	Key   MapSlot
	Elem  MapSlot
	// ElemOff is the element's offset in a Swiss slot (in an hmap bucket,
	// elements follow the 8 keys); SlotSize a Swiss slot's size.
	ElemOff, SlotSize int64
	Max, StrMax       int
}

func (Map) isValue() {}

// mapSlot says how a map key or element type prints, ok false for types
// the script does not read inline.
func mapSlot(t *debuginfo.Type) (MapSlot, bool) {
	if t == nil {
		return MapSlot{}, false
	}
	switch t.Kind {
	case debuginfo.KindString:
		return MapSlot{MapStr, 16}, true
	case debuginfo.KindBool:
		return MapSlot{MapBool, 1}, true
	case debuginfo.KindInt, debuginfo.KindEnum:
		return MapSlot{MapInt, sizeOf(t)}, memSize(sizeOf(t)) == sizeOf(t)
	case debuginfo.KindUint:
		return MapSlot{MapUint, sizeOf(t)}, memSize(sizeOf(t)) == sizeOf(t)
	}
	return MapSlot{}, false
}

func alignOf(s MapSlot) int64 { return min(s.Size, 8) }

func alignUp(n, a int64) int64 { return (n + a - 1) / a * a }

// goMap prints map r with its entries where the key and element types
// read inline, else its length.
func (e *emitter) goMap(r ref, name string, t *debuginfo.Type) []Field {
	p, err := e.scalar(r)
	if err != nil {
		return []Field{e.missing(name, t, err.Error())}
	}
	k, ok1 := mapSlot(t.Key)
	v, ok2 := mapSlot(t.Elem)
	if !ok1 || !ok2 || e.limits.Elems <= 0 {
		*e.notes = append(*e.notes, fmt.Sprintf("%s: only the length of a %s prints (entries of integer, bool and string keys and elements do)", name, typeName(t)))
		return []Field{{Name: fmt.Sprintf("len(%s)", name), Type: "int", Enc: event.EncInt, Value: CountAt{X: p}}}
	}
	m := Map{X: p, Swiss: goruntime.SwissMaps(e.goVersion), Key: k, Elem: v, Max: e.limits.Elems, StrMax: e.limits.StringLen}
	if m.Swiss {
		m.ElemOff = alignUp(k.Size, alignOf(v))
		m.SlotSize = alignUp(m.ElemOff+v.Size, max(alignOf(k), alignOf(v)))
	}
	return []Field{{Name: name, Type: typeName(t), Enc: event.EncMap, Value: m}}
}

// goChan prints a channel's length and capacity.
func (e *emitter) goChan(r ref, name string, t *debuginfo.Type) []Field {
	p, err := e.scalar(r)
	if err != nil {
		return []Field{e.missing(name, t, err.Error())}
	}
	return []Field{
		{Name: fmt.Sprintf("len(%s)", name), Type: "int", Enc: event.EncInt, Value: CountAt{X: p}},
		{Name: fmt.Sprintf("cap(%s)", name), Type: "int", Enc: event.EncInt, Value: CountAt{X: p, Off: goruntime.ChanCap}},
	}
}
