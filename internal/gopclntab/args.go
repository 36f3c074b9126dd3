package gopclntab

import "encoding/binary"

// funcArgs reads each function's _func.args: the size of its argument
// frame as the compiler recorded it (for the register ABI: stack-passed
// values plus one spill slot per register-passed parameter). Names are
// gosym's; the functab lists the same functions in the same order, so
// entry i of the functab is tab.Funcs[i]. A table whose layout does not
// hold up leaves every value -1 (unknown) rather than guessing.
func funcArgs(c candidate, n int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = -1
	}
	b, le := c.data, binary.LittleEndian
	ftab := c.h.offs[4] // pclntable: functab, then the _func records
	entSize, entryWords := uint64(8), uint64(4)
	if c.h.format == go116 {
		entSize, entryWords = 16, 8
	}
	if uint64(n) > c.h.nfunc {
		return out
	}
	for i := 0; i < n; i++ {
		ent := ftab + uint64(i)*entSize
		if ent+entSize > uint64(len(b)) {
			return out
		}
		var off uint64
		if entryWords == 8 {
			off = le.Uint64(b[ent+8:])
		} else {
			off = uint64(le.Uint32(b[ent+4:]))
		}
		// _func: the entry (uintptr before Go 1.18, a uint32 offset
		// after), nameOff int32, args int32.
		at := ftab + off + entryWords + 4
		if at+4 > uint64(len(b)) {
			return out
		}
		out[i] = int32(le.Uint32(b[at:]))
	}
	return out
}
