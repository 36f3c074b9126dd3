package raw

// Unusable reports whether libdw (and so stap) rejects the location
// expression b: it holds DW_OP_GNU_uninit, which GCC puts after a piece
// of a variable not yet initialised and libdw does not decode, or an
// operation this walker does not know the operands of. stap -L leaves
// such a variable out, and $var on it fails.
func Unusable(b []byte) bool {
	for len(b) > 0 {
		op := b[0]
		b = b[1:]
		n, ok := operandLen(op, b)
		if !ok || op == 0xf0 || n > len(b) {
			return true
		}
		b = b[n:]
	}
	return false
}

// operandLen is the byte length of op's operands at the start of b.
func operandLen(op byte, b []byte) (int, bool) {
	uleb := func(b []byte) int { _, n := ULEB128(b); return n }
	switch {
	case op == 0x06, op >= 0x30 && op <= 0x6f, op >= 0x12 && op <= 0x14, op >= 0x16 && op <= 0x27 && op != 0x23,
		op >= 0x29 && op <= 0x2e, op == 0x96, op == 0x97, op == 0x9b, op == 0x9c, op == 0x9f, op == 0xe0:
		return 0, true // no operands (literals, registers, arithmetic, nop, call_frame_cfa, stack_value, ...)
	case op == 0x08, op == 0x09, op == 0x15, op == 0x94, op == 0x95:
		return 1, true
	case op == 0x0a, op == 0x0b, op == 0x2f, op == 0x28, op == 0x98:
		return 2, true
	case op == 0x0c, op == 0x0d, op == 0x99, op == 0xfa:
		return 4, true
	case op == 0x03, op == 0x0e, op == 0x0f, op == 0x9a:
		return 8, true
	case op == 0x10, op == 0x11, op == 0x23, op >= 0x70 && op <= 0x8f, op == 0x90, op == 0x91, op == 0x93,
		op == 0xa1, op == 0xa2, op == 0xa8, op == 0xa9, op == 0xfb, op == 0xfc, op == 0xf7, op == 0xf9:
		return uleb(b), true
	case op == 0x92, op == 0x9d, op == 0xa5, op == 0xf5: // two LEB128s
		n := uleb(b)
		return n + uleb(b[n:]), true
	case op == 0x9e, op == 0xa3, op == 0xf3: // a length, then that many bytes
		l, n := ULEB128(b)
		return n + int(l), l <= uint64(len(b))
	case op == 0xa0, op == 0xf2: // implicit_pointer: a 4-byte DIE offset, an SLEB
		if len(b) < 4 {
			return 0, false
		}
		return 4 + uleb(b[4:]), true
	case op == 0xa4, op == 0xf4: // const_type: a type, a size byte, that many bytes
		n := uleb(b)
		if n >= len(b) {
			return 0, false
		}
		return n + 1 + int(b[n]), true
	case op == 0xa6, op == 0xa7, op == 0xf6: // deref_type, xderef_type: a size byte, a type
		return 1 + uleb(b[min(1, len(b)):]), true
	case op == 0xf0: // GNU_uninit
		return 0, true
	}
	return 0, false
}
