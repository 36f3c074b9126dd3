package debuginfo

import (
	"bytes"
	"debug/dwarf"
	"encoding/binary"

	"github.com/go-delve/delve/pkg/dwarf/line"
)

// lineInfo returns delve's parsed line table of unit i, cached. delve's
// parser is used because it exposes prologue_end (debug/dwarf drops it).
func (ix *Index) lineInfo(i int) (li *line.DebugLineInfo) {
	m := ix.unitMeta(i)
	if m == nil {
		return nil
	}
	if ix.lines == nil {
		ix.lines = map[int]*line.DebugLineInfo{}
	}
	if li, ok := ix.lines[i]; ok {
		return li
	}
	defer func() {
		if recover() != nil {
			li = nil
		}
		ix.lines[i] = li
	}()
	off, ok := m.entry.Val(dwarf.AttrStmtList).(int64)
	if !ok || off < 0 || off >= int64(len(ix.sec.line)) {
		return nil
	}
	// delve's parser appends to a slice of its input when it decodes
	// DW_FORM_strx3, writing one byte past it: give it a private copy of
	// this unit's program, never the read-only mapping.
	prog := ix.sec.line[off:]
	if n := lineUnitLen(prog, ix.sec.order); n > 0 && n <= len(prog) {
		prog = prog[:n]
	}
	if ix.lineStr == nil {
		ix.lineStr = append([]byte{}, ix.sec.lineStr...)
	}
	nolog := func(string, ...any) {}
	return line.Parse(m.compDir, bytes.NewBuffer(bytes.Clone(prog)), ix.lineStr, nolog, 0, false, int(ix.types.ptrSize()))
}

// lineUnitLen is the total size of the line program starting at b
// (unit_length plus its own field), or 0 when unreadable.
func lineUnitLen(b []byte, order binary.ByteOrder) int {
	if len(b) < 4 {
		return 0
	}
	n := uint64(order.Uint32(b))
	if n == 0xffffffff {
		if len(b) < 12 {
			return 0
		}
		n = order.Uint64(b[4:]) + 12
	} else {
		n += 4
	}
	if n > uint64(len(b)) {
		return 0
	}
	return int(n)
}

// PrologueEnd returns the first pc after f's prologue as marked by the
// compiler (DW_LNS_set_prologue_end). Go emits it after the stack-growth
// check, so a probe there fires once even when the function grows its
// stack (entry probes fire twice: morestack re-enters at the entry). GCC
// does not emit the flag; ok is false then.
func (ix *Index) PrologueEnd(f *Function) (pc uint64, ok bool) {
	if f.Inlined || f.End <= f.Entry {
		return 0, false
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	u, found := ix.cuTable().find(f.Entry)
	if !found {
		return 0, false
	}
	li := ix.lineInfo(u)
	if li == nil {
		return 0, false
	}
	defer func() {
		if recover() != nil {
			pc, ok = 0, false
		}
	}()
	pc, _, _, ok = li.PrologueEndPC(f.Entry, f.End)
	if ok && (pc <= f.Entry || pc >= f.End) {
		return 0, false
	}
	return pc, ok
}

// fileLineAt is the line table's file and line for pc: the fallback for
// compiler-generated functions without DW_AT_decl_file (Go's deferwrap).
func (ix *Index) fileLineAt(u int, pc uint64) (string, int) {
	li := ix.lineInfo(u)
	if li == nil {
		return "", 0
	}
	defer func() { recover() }()
	return li.PCToLine(pc, pc)
}
