package debuginfo

import (
	"debug/dwarf"

	"github.com/stapgen/stapgen/internal/debuginfo/raw"
)

// describeLocation summarises where a parameter lives at pc (the entry):
// "reg rdi", "fbreg+16", "cfa+8", "regs rax,rbx" (pieces), "value",
// "optimized out", "inlined" (no entry pc), "entry_value", "expr".
// The second result says whether DW_AT_location is a location list.
func (ix *Index) describeLocation(e *dwarf.Entry, m *raw.UnitMeta, pc uint64, inlined bool) (desc string, isList bool) {
	defer func() {
		if r := recover(); r != nil {
			desc = "corrupt"
		}
	}()
	f := e.AttrField(dwarf.AttrLocation)
	if inlined {
		// An abstract function has no code: each inline site has its own
		// locations.
		return "inlined", false
	}
	if f == nil {
		if e.AttrField(dwarf.AttrConstValue) != nil {
			return "const", false
		}
		return "optimized out", false
	}
	switch f.Class {
	case dwarf.ClassExprLoc, dwarf.ClassBlock:
		b, _ := f.Val.([]byte)
		return raw.DescribeExpr(b), false
	case dwarf.ClassLocListPtr, dwarf.ClassLocList:
		off, ok := f.Val.(int64)
		if !ok {
			return "loclist", true
		}
		if f.Class == dwarf.ClassLocList { // DW_FORM_loclistx: an index
			o, ok := ix.dw.LoclistxOffset(m, off)
			if !ok {
				return "loclist", true
			}
			off = o
		}
		b, ok := ix.dw.LocListAt(m, off, pc)
		if !ok {
			return "optimized out at entry", true
		}
		return raw.DescribeExpr(b), true
	}
	return "unknown", false
}
