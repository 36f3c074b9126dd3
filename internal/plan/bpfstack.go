package plan

import (
	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/goabi"
)

// castWords reads user memory on the BPF runtime through a @cast of the
// binary's 8-byte integer type, indexed in words: such a read gives 0 on a
// fault, where user_int64's fault ends the whole stapbpf run, and
// @uregister gives the address to start from where there is no
// u_register(). Type and Module are the word type and the module stap
// finds it in (emitter.word).
type castWords struct{ Type, Module string }

// read is the size-byte value at byte off from addr, sign-extended if
// signed: the word holding it, narrowed when it is smaller. Go places a
// value at a multiple of its size (its alignment), so one word holds it.
func (w castWords) read(addr Expr, off, size int64, signed bool) (Expr, error) {
	switch {
	case size != 1 && size != 2 && size != 4 && size != 8:
		return nil, unreadable("a %d-byte value is not read through words", size)
	case off < 0:
		return nil, unreadable("byte %d, before the address it is read from", off)
	case off%8+size > 8:
		return nil, unreadable("the %d bytes at byte %d straddle two words", size, off)
	}
	x := Var{Of: Cast{X: addr, Type: w.Type, Module: w.Module}, Steps: []VarStep{{Index: int(off / 8)}}}
	if size == 8 {
		return x, nil
	}
	return Narrow{X: x, Size: size, Signed: signed, Byte: off % 8}, nil
}

// rspNum is the DWARF number of the stack pointer (@uregister(7)).
var rspNum, _ = debuginfo.RegNum("rsp")

// bpfWords are the word reads of this plan's BPF runtime, nil where there
// is no 8-byte type to read through (or no BPF).
func (e *emitter) bpfWords() *castWords {
	if !e.bpf || e.word == nil {
		return nil
	}
	t, m := e.word()
	if t == "" {
		return nil
	}
	return &castWords{Type: t, Module: m}
}

// bpfParam is how the BPF runtime reads Go parameter v, whose ABI home is
// h (nil: none, noHome says why), at the function's entry when stap
// cannot read it as $v: registers with @uregister, a value on the stack
// through word reads from @uregister(rsp), where the uprobe finds it, the
// CALL's return address at rsp (ref.word); anything else prints "!" with
// why not.
func (b *builder) bpfParam(v debuginfo.Variable, h *goabi.Loc, noHome string) ref {
	switch w := b.em.bpfWords(); {
	case h == nil:
		return ref{typ: v.Type, why: "the BPF runtime reads a Go parameter that stap cannot evaluate from its ABI home, and there is none: " + noHome + "; use --runtime kernel"}
	case !h.Stack:
		// The probe is at the entry, where the ABI's registers hold the
		// parameters: read them as a RET's results are (bpfret.go).
		return ref{typ: v.Type, home: h, ureg: true, words: w}
	case w == nil:
		return ref{typ: v.Type, why: "passed on the stack, which the BPF runtime reads through an 8-byte integer type of the binary's DWARF, and it has none; use --runtime kernel"}
	default:
		return ref{typ: v.Type, home: h, words: w}
	}
}
