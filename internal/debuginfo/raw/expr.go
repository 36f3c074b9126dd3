package raw

import (
	"fmt"
	"strconv"
	"strings"
)

// amd64Regs are the DWARF register names of x86-64 (psABI numbering).
var amd64Regs = []string{"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip"}

// RegNum is the DWARF number of the amd64 register regName calls name.
func RegNum(name string) (int, bool) {
	for i, r := range amd64Regs[:16] {
		if r == name {
			return i, true
		}
	}
	return 0, false
}

func regName(n uint64) string {
	if n < uint64(len(amd64Regs)) {
		return amd64Regs[n]
	}
	if n >= 17 && n <= 32 {
		return "xmm" + strconv.FormatUint(n-17, 10)
	}
	return "r" + strconv.FormatUint(n, 10)
}

// DescribeExpr classifies a DWARF expression by its leading operation;
// a sequence of register pieces is listed as "regs a,b".
func DescribeExpr(b []byte) string {
	if len(b) == 0 {
		return "optimized out"
	}
	var regs []string
	for len(b) > 0 {
		op := b[0]
		b = b[1:]
		switch {
		case op >= 0x50 && op <= 0x6f: // DW_OP_reg0..31
			regs = append(regs, regName(uint64(op-0x50)))
		case op == 0x90: // DW_OP_regx
			n, k := ULEB128(b)
			b = b[k:]
			regs = append(regs, regName(n))
		case op == 0x93: // DW_OP_piece
			_, k := ULEB128(b)
			b = b[k:]
			continue
		case len(regs) > 0:
			return "regs " + strings.Join(regs, ",") + "+expr"
		case op == 0x91: // DW_OP_fbreg
			n, _ := sleb(b)
			return fmt.Sprintf("fbreg%+d", n)
		case op >= 0x70 && op <= 0x8f: // DW_OP_breg0..31
			n, _ := sleb(b)
			return fmt.Sprintf("breg %s%+d", regName(uint64(op-0x70)), n)
		case op == 0x9c: // DW_OP_call_frame_cfa
			if len(b) > 0 && b[0] == 0x23 { // DW_OP_plus_uconst
				n, _ := ULEB128(b[1:])
				return fmt.Sprintf("cfa+%d", n)
			}
			return "cfa"
		case op == 0x03: // DW_OP_addr
			return "addr"
		case op == 0xa3 || op == 0xf3: // DW_OP_entry_value, GNU_entry_value
			return "entry_value"
		case op == 0xfa: // DW_OP_GNU_parameter_ref
			return "parameter_ref"
		case op == 0x9e: // DW_OP_implicit_value
			return "value"
		default:
			if bytesContain(b, 0x9f) {
				return "value" // DW_OP_stack_value somewhere: a computed value
			}
			return "expr"
		}
	}
	if len(regs) == 1 {
		return "reg " + regs[0]
	}
	return "regs " + strings.Join(regs, ",")
}

func bytesContain(b []byte, x byte) bool {
	for _, c := range b {
		if c == x {
			return true
		}
	}
	return false
}

// ULEB128 decodes an unsigned LEB128 number, returning it and its length
// (all of b when it does not end; bits past 64 are dropped).
func ULEB128(b []byte) (uint64, int) {
	var n uint64
	var shift uint
	for i, c := range b {
		if shift < 64 {
			n |= uint64(c&0x7f) << shift
		}
		shift += 7
		if c < 0x80 {
			return n, i + 1
		}
	}
	return n, len(b)
}

func sleb(b []byte) (int64, int) {
	var n int64
	var shift uint
	for i, c := range b {
		if shift < 64 {
			n |= int64(c&0x7f) << shift
		}
		shift += 7
		if c < 0x80 {
			if shift < 64 && c&0x40 != 0 {
				n |= -1 << shift
			}
			return n, i + 1
		}
	}
	return n, len(b)
}
