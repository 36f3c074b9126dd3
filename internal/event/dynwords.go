package event

import (
	"bytes"
	"math"

	"github.com/stapgen/stapgen/internal/goruntime"
)

// A Go interface as the BPF runtime prints it (the "dynw" token), which
// cannot follow a descriptor to its type's name:
//
//	dynw := "0x"TYPE "/0x"DATA "/0x"WORD [ "/0x"BIAS ]
//
// TYPE is the dynamic type's descriptor as the process maps it (a
// non-empty interface's itab's type), 0 for a nil interface; DATA is the
// data word, WORD the 8 bytes it points at (0 where that read faulted),
// and BIAS a PIE's load bias, taken off TYPE so that the value carries
// the descriptor's link-time address, which the binary names (DynType).

// parseDynWords decodes a dynw token; word is WORD.
func parseDynWords(tok []byte) (g *GoValue, word uint64, err error) {
	var w [4]uint64
	n := 0
	for part := range bytes.SplitSeq(tok, []byte("/")) {
		if n == len(w) {
			return nil, 0, errToken
		}
		if w[n], err = parseHex(part); err != nil {
			return nil, 0, err
		}
		n++
	}
	if n < 3 {
		return nil, 0, errToken
	}
	g = &GoValue{TypeWord: w[0], DataWord: w[1]}
	if g.TypeWord != 0 {
		g.TypeWord -= w[3]
		g.TypeUnread = true // until NameWords
	}
	return g, w[2], nil
}

// DynType is what a binary's descriptor says of an interface's dynamic
// type (gopclntab.TypeDesc).
type DynType struct {
	Name string
	Kind uint8 // reflect.Kind
	Size uint64
	// Direct: the data word is the value itself (pointer-shaped types).
	Direct bool
}

// NameWords names v, a dynw value of a non-nil interface, as type t, and
// takes the value from the word its data word points at where t's kind
// says what it is: a number or a bool of at most 8 bytes (syscall.Errno,
// time.Duration, named integers). Other values show their data word.
func (v *Value) NameWords(t DynType) {
	g := v.Go
	if g == nil || g.TypeWord == 0 {
		return
	}
	g.Type, g.TypeUnread, g.Parts = t.Name, false, nil
	if t.Direct || t.Size == 0 || t.Size > 8 {
		return
	}
	bits := t.Size * 8
	w := v.Uint
	if bits < 64 {
		w &= 1<<bits - 1
	}
	switch k := t.Kind; {
	case k == goruntime.KindBool:
		g.Parts = []GoPart{{Kind: 'i', Int: int64(w)}}
	case k >= goruntime.KindInt && k <= goruntime.KindInt64:
		g.Parts = []GoPart{{Kind: 'i', Int: int64(w<<(64-bits)) >> (64 - bits)}}
	case k >= goruntime.KindUint && k <= goruntime.KindUintptr:
		g.Parts = []GoPart{{Kind: 'u', Uint: w}}
	case k == goruntime.KindFloat32:
		g.Parts = []GoPart{{Kind: 'g', Float: float64(math.Float32frombits(uint32(w)))}}
	case k == goruntime.KindFloat64:
		g.Parts = []GoPart{{Kind: 'f', Float: math.Float64frombits(w)}}
	}
}
