package goabi

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/goruntime"
)

// Integer and floating-point argument registers, in assignment order.
var (
	IntRegs = []string{"rax", "rbx", "rcx", "rdi", "rsi", "r8", "r9", "r10", "r11"}
	FPRegs  = []string{"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
		"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14"}
)

// Piece is a register holding Size bytes at byte offset Off of a value.
type Piece struct {
	Reg       string
	Off, Size int64
}

// Loc is where a value lives: on the stack at CFA+Off (CFA = RSP+8 at the
// entry and at a RET), or in Pieces (none for a zero-size value).
type Loc struct {
	Stack  bool
	Off    int64
	Pieces []Piece
}

func (l Loc) String() string {
	if l.Stack {
		return fmt.Sprintf("stack+%d", l.Off)
	}
	var r []string
	for _, p := range l.Pieces {
		r = append(r, p.Reg)
	}
	return strings.Join(r, ",")
}

// DictPos says where a generic function's hidden dictionary goes; which
// functions take one is goruntime's rule (goruntime.Dictionary).
type DictPos = goruntime.DictPlace

const (
	DictNone          = goruntime.NoDict
	DictFirst         = goruntime.DictFirst         // the dictionary takes RAX
	DictAfterReceiver = goruntime.DictAfterReceiver // receiver, then dictionary
)

// Options select the calling convention.
type Options struct {
	// ABI0 puts everything on the stack (assembly, .abi0 wrappers, Go < 1.17).
	ABI0 bool
	Dict DictPos
}

type assigner struct {
	ni, nf int
	stack  int64
}

// Assign computes the locations of params (receiver first) at entry and of
// results at a RET.
func Assign(params, results []*debuginfo.Type, o Options) (in, out []Loc, err error) {
	for _, t := range append(append([]*debuginfo.Type{}, params...), results...) {
		if t == nil {
			return nil, nil, errors.New("a parameter has no type")
		}
	}
	a := &assigner{}
	if o.Dict == DictFirst {
		a.ni = 1
	}
	for i, t := range params {
		in = append(in, a.value(t, o.ABI0))
		if i == 0 && o.Dict == DictAfterReceiver {
			a.ni++
		}
	}
	a.stack = align(a.stack, 8)
	a.ni, a.nf = 0, 0
	for _, t := range results {
		out = append(out, a.value(t, o.ABI0))
	}
	return in, out, nil
}

func (a *assigner) value(t *debuginfo.Type, abi0 bool) Loc {
	if t.Size > 0 && !abi0 {
		ni, nf := a.ni, a.nf
		var ps []Piece
		if a.regs(t, 0, &ps) {
			return Loc{Pieces: ps}
		}
		a.ni, a.nf = ni, nf
	}
	a.stack = align(a.stack, alignOf(t))
	l := Loc{Stack: true, Off: a.stack}
	a.stack += max(t.Size, 0)
	return l
}

func (a *assigner) int(off, size int64, ps *[]Piece) bool {
	if a.ni >= len(IntRegs) {
		return false
	}
	*ps = append(*ps, Piece{Reg: IntRegs[a.ni], Off: off, Size: size})
	a.ni++
	return true
}

func (a *assigner) fp(off, size int64, ps *[]Piece) bool {
	if a.nf >= len(FPRegs) {
		return false
	}
	*ps = append(*ps, Piece{Reg: FPRegs[a.nf], Off: off, Size: size})
	a.nf++
	return true
}

// regs assigns t at byte offset off to registers; false means it does not
// fit (the caller then puts the whole value on the stack).
func (a *assigner) regs(t *debuginfo.Type, off int64, ps *[]Piece) bool {
	switch t.Kind {
	case debuginfo.KindBool, debuginfo.KindInt, debuginfo.KindUint, debuginfo.KindEnum,
		debuginfo.KindPointer, debuginfo.KindMap, debuginfo.KindChan, debuginfo.KindFunc:
		if t.Size == 0 {
			return true
		}
		return a.int(off, t.Size, ps)
	case debuginfo.KindFloat:
		return a.fp(off, t.Size, ps)
	case debuginfo.KindComplex:
		return a.fp(off, t.Size/2, ps) && a.fp(off+t.Size/2, t.Size/2, ps)
	case debuginfo.KindString, debuginfo.KindInterface:
		return a.int(off, 8, ps) && a.int(off+8, 8, ps)
	case debuginfo.KindSlice:
		return a.int(off, 8, ps) && a.int(off+8, 8, ps) && a.int(off+16, 8, ps)
	case debuginfo.KindStruct:
		for _, f := range t.Members() {
			if f.Type == nil || !a.regs(f.Type, off+f.Offset, ps) {
				return false
			}
		}
		return true
	case debuginfo.KindArray:
		switch {
		case t.Count == 0:
			return true
		case t.Count == 1 && t.Elem != nil:
			return a.regs(t.Elem, off, ps)
		}
	}
	return false
}

func alignOf(t *debuginfo.Type) int64 {
	if t == nil {
		return 1
	}
	switch t.Kind {
	case debuginfo.KindStruct:
		m := int64(1)
		for _, f := range t.Members() {
			m = max(m, alignOf(f.Type))
		}
		return m
	case debuginfo.KindArray:
		return alignOf(t.Elem)
	case debuginfo.KindString, debuginfo.KindSlice, debuginfo.KindInterface:
		return 8
	case debuginfo.KindComplex:
		return min(max(t.Size/2, 1), 8)
	}
	return min(max(t.Size, 1), 8)
}

func align(n, a int64) int64 {
	if a <= 1 {
		return n
	}
	return (n + a - 1) / a * a
}
