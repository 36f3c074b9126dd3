// Package disasm finds what stapgen needs in x86-64 machine code: the RET
// instructions where a Go function returns (probed instead of uretprobes,
// which crash Go programs), and the shape of Go's stack-check prologue. It
// is the only user of golang.org/x/arch.
package disasm

import (
	"golang.org/x/arch/x86/x86asm"
)

// Rets returns the address of every RET in code, which starts at start.
// Bytes that do not decode are skipped one at a time.
func Rets(code []byte, start uint64) ([]uint64, error) {
	var out []uint64
	for off := 0; off < len(code); {
		inst, err := x86asm.Decode(code[off:], 64)
		if err != nil || inst.Len == 0 {
			off++
			continue
		}
		if inst.Op == x86asm.RET {
			out = append(out, start+uint64(off))
		}
		off += inst.Len
	}
	return out, nil
}

// StackCheck describes Go's prologue "cmp rsp, [r14+Guard]; jbe morestack"
// (or, for larger frames, "lea r12, [rsp-Frame]; cmp r12, [r14+Guard]").
// When RSP-Frame <= g.stackguard0 the function calls morestack and then runs
// again from its entry, so an entry probe fires twice for one call.
type StackCheck struct {
	Frame int64  // bytes subtracted from RSP before the comparison
	Guard int64  // offset of stackguard0 in runtime.g
	After uint64 // address of the first instruction after the check's branch
	// Stub is where the branch goes: the code that calls morestack and
	// jumps back to the entry.
	Stub uint64
}

// FindStackCheck recognises the prologue at the start of code.
func FindStackCheck(code []byte, start uint64) (StackCheck, bool) {
	var sc StackCheck
	off := 0
	next := func() (x86asm.Inst, bool) {
		if off >= len(code) {
			return x86asm.Inst{}, false
		}
		in, err := x86asm.Decode(code[off:], 64)
		if err != nil {
			return x86asm.Inst{}, false
		}
		off += in.Len
		return in, true
	}
	in, ok := next()
	if !ok {
		return sc, false
	}
	base := x86asm.RSP
	if in.Op == x86asm.LEA {
		m, ok := in.Args[1].(x86asm.Mem)
		if !ok || in.Args[0] != x86asm.R12 || m.Base != x86asm.RSP || m.Index != 0 {
			return sc, false
		}
		sc.Frame = -int64(int32(m.Disp)) // x86asm leaves 32-bit displacements unextended
		base = x86asm.R12
		if in, ok = next(); !ok {
			return sc, false
		}
	}
	if in.Op != x86asm.CMP || in.Args[0] != base {
		return sc, false
	}
	m, ok := in.Args[1].(x86asm.Mem)
	if !ok || m.Base != x86asm.R14 || m.Index != 0 {
		return sc, false
	}
	sc.Guard = int64(int32(m.Disp))
	if in, ok = next(); !ok || in.Op != x86asm.JBE {
		return sc, false
	}
	sc.After = start + uint64(off)
	if rel, ok := in.Args[0].(x86asm.Rel); ok {
		sc.Stub = uint64(int64(sc.After) + int64(rel))
	}
	return sc, true
}

// FrameSetup is how far RSP moves between from and to, the frame set-up
// after a Go stack check ("push rbp; mov rbp, rsp; sub rsp, N", or the
// older "sub rsp, N; mov [rsp+k], rbp; lea rbp, [rsp+k]"). ok is false when
// any instruction in between does something else: then a register that
// held an argument at from may no longer hold it at to.
func FrameSetup(code []byte, start, from, to uint64) (delta int64, ok bool) {
	if from < start || to < from || to-start > uint64(len(code)) {
		return 0, false
	}
	for off := from - start; off < to-start; {
		in, err := x86asm.Decode(code[off:], 64)
		if err != nil || in.Len == 0 {
			return 0, false
		}
		off += uint64(in.Len)
		d, ok := frameStep(in)
		if !ok {
			return 0, false
		}
		delta += d
	}
	return delta, true
}

// frameStep is one frame set-up instruction's effect on RSP.
func frameStep(in x86asm.Inst) (int64, bool) {
	imm := func() (int64, bool) { i, ok := in.Args[1].(x86asm.Imm); return int64(i), ok }
	switch {
	case in.Op == x86asm.PUSH && in.Args[0] == x86asm.RBP:
		return 8, true
	case in.Op == x86asm.SUB && in.Args[0] == x86asm.RSP:
		n, ok := imm()
		return n, ok
	case in.Op == x86asm.ADD && in.Args[0] == x86asm.RSP:
		n, ok := imm()
		return -n, ok
	case in.Op == x86asm.MOV && in.Args[0] == x86asm.RBP && in.Args[1] == x86asm.RSP:
		return 0, true
	case in.Op == x86asm.MOV && in.Args[1] == x86asm.RBP:
		m, ok := in.Args[0].(x86asm.Mem)
		return 0, ok && m.Base == x86asm.RSP
	case in.Op == x86asm.LEA && in.Args[0] == x86asm.RBP:
		m, ok := in.Args[1].(x86asm.Mem)
		return 0, ok && m.Base == x86asm.RSP && m.Index == 0
	}
	return 0, false
}
