package raw

import "github.com/go-delve/delve/pkg/dwarf/loclist"

// LocListAt returns the expression covering pc of unit m's location list
// at off. The bytes alias the mapping: describe them (DescribeExpr), do
// not keep them. Entries are found with delve's readers.
func (f *File) LocListAt(m *UnitMeta, off int64, pc uint64) ([]byte, bool) {
	da := f.dbgAddr.GetSubsection(m.addrBase)
	var ent *loclist.Entry
	var err error
	if f.Units[m.Unit].Version >= 5 {
		if len(f.sec.loclists) == 0 || off < 0 || off >= int64(len(f.sec.loclists)) {
			return nil, false
		}
		rd := loclist.NewDwarf5Reader(f.sec.loclists)
		if rd.Empty() {
			return nil, false
		}
		ent, err = rd.Find(int(off), 0, m.LowPC, pc, da)
	} else {
		if len(f.sec.loc) == 0 || off < 0 || off >= int64(len(f.sec.loc)) {
			return nil, false
		}
		rd := loclist.NewDwarf2Reader(f.sec.loc, f.PtrSize)
		ent, err = rd.Find(int(off), 0, m.LowPC, pc, da)
	}
	if err != nil || ent == nil {
		return nil, false
	}
	return ent.Instr, true
}

// LoclistxOffset resolves DW_FORM_loclistx: an index into the offset
// table at DW_AT_loclists_base (32-bit DWARF offsets).
func (f *File) LoclistxOffset(m *UnitMeta, idx int64) (int64, bool) {
	base := m.loclistsBase
	if base < 0 {
		base = 12 // first contribution's table follows its header
	}
	p := base + 4*idx
	if idx < 0 || p < 0 || p+4 > int64(len(f.sec.loclists)) {
		return 0, false
	}
	return base + int64(f.sec.order.Uint32(f.sec.loclists[p:])), true
}
