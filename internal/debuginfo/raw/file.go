// Package raw reads the DWARF of one file as it is stored: the sections
// (without copying them), the unit headers and their cached table, the
// address → unit table of .debug_aranges, debug/dwarf readers over single
// units, line tables, location lists and expressions.
//
// It is the only package of stapgen that imports delve (pkg/dwarf/godwarf
// and pkg/dwarf/loclist). It knows nothing of the model: debuginfo turns
// what it reads into functions and types. A File is not safe for
// concurrent use; debuginfo.Index serialises on one lock.
package raw

import (
	"debug/dwarf"
	"fmt"
	"sort"

	"github.com/go-delve/delve/pkg/dwarf/godwarf"
	"github.com/stapgen/stapgen/internal/target"
)

// File is the DWARF of one binary (or of its separate debuginfo file).
// Its byte slices alias the binary's read-only mapping: nothing read from
// them may be kept past the binary's Close without a copy.
type File struct {
	Units   []Unit
	PtrSize int
	// Path is the file holding the DWARF, for messages.
	Path string

	sec       *sections
	unitByHdr map[dwarf.Offset]int
	fullView  *View
	views     map[int]*View // the view each unit is read through
	noSplit   map[int]bool  // units that must be read through the full view
	meta      []*UnitMeta   // lazily read CU attributes, by unit index
	cuTab     cuTable
	cuTabOK   bool
	lines     map[int]*lineTable
	dbgAddr   *godwarf.DebugAddrSection
}

// UnitMeta is what a function needs from its compilation unit.
type UnitMeta struct {
	Unit         int
	Go           bool // DW_AT_language is DW_LANG_Go
	CPP          bool // DW_AT_language is one of C++'s: names live in scopes
	LowPC        uint64
	CompDir      string
	Producer     string
	addrBase     uint64
	loclistsBase int64
	// Entry is the unit's DIE, read through View.
	Entry *dwarf.Entry
	View  *View
}

// Open maps the DWARF sections of b and reads its unit headers (or their
// cached table, see unitcache.go); no DIE is decoded but the first unit's.
func Open(b *target.Binary, c Cache) (*File, error) {
	if err := b.RequireDWARF(); err != nil {
		return nil, err
	}
	sec, err := loadSections(b)
	if err != nil {
		return nil, err
	}
	path := b.DWARFFile().Path
	units, err := openUnits(c, sec.info, sec.order)
	if err != nil && len(units) == 0 {
		return nil, fmt.Errorf("%s: corrupt DWARF: %w", path, err)
	}
	if len(units) == 0 {
		return nil, fmt.Errorf("%s: no compilation units in .debug_info", path)
	}
	f := &File{Units: units, Path: path, sec: sec, unitByHdr: make(map[dwarf.Offset]int, len(units)),
		views: map[int]*View{}, noSplit: map[int]bool{}, meta: make([]*UnitMeta, len(units)), PtrSize: 8}
	for i, u := range units {
		f.unitByHdr[u.Hdr] = i
	}
	if units[0].AddrSize > 0 {
		f.PtrSize = units[0].AddrSize
	}
	if _, err := f.ViewOf(0); err != nil {
		return nil, err // corrupt header or abbreviations: say so now
	}
	f.dbgAddr = sec.debugAddr()
	return f, nil
}

const dwLangGo = 0x16

// IsCPP reports whether DW_AT_language value l is C++ (DW_LANG_C_plus_plus,
// _03, _11, _14, and DWARF 6's _17, _20 that GCC 13 already emits).
func IsCPP(l int64) bool {
	switch l {
	case 0x04, 0x19, 0x1a, 0x21, 0x2a, 0x2b:
		return true
	}
	return false
}

// Meta returns the attributes of unit i, read once; nil when unreadable.
func (f *File) Meta(i int) *UnitMeta {
	if i < 0 || i >= len(f.Units) {
		return nil
	}
	if m := f.meta[i]; m != nil {
		return m
	}
	v, e, err := f.UnitEntry(i)
	if err != nil {
		return nil
	}
	m := &UnitMeta{Entry: e, View: v, Unit: i, loclistsBase: -1}
	l, _ := e.Val(dwarf.AttrLanguage).(int64)
	m.Go = l == dwLangGo
	m.CPP = IsCPP(l)
	m.LowPC, _ = e.Val(dwarf.AttrLowpc).(uint64)
	m.CompDir, _ = e.Val(dwarf.AttrCompDir).(string)
	m.Producer, _ = e.Val(dwarf.AttrProducer).(string)
	if v, ok := e.Val(dwarf.AttrAddrBase).(int64); ok {
		m.addrBase = uint64(v)
	}
	if v, ok := e.Val(dwarf.AttrLoclistsBase).(int64); ok {
		m.loclistsBase = v
	}
	f.meta[i] = m
	return m
}

// UnitOf returns the index of the unit containing the DIE at off, or -1.
func (f *File) UnitOf(off dwarf.Offset) int {
	i := sort.Search(len(f.Units), func(i int) bool { return f.Units[i].End > off })
	if i < len(f.Units) && f.Units[i].Hdr <= off {
		return i
	}
	return -1
}

// Holds reports whether unit u contains the DIE at off.
func (f *File) Holds(u int, off dwarf.Offset) bool {
	return u >= 0 && u < len(f.Units) && f.Units[u].Hdr <= off && off < f.Units[u].End
}

// Entry reads the DIE at the global offset off through the full view.
func (f *File) Entry(off dwarf.Offset) (*dwarf.Entry, error) {
	v, err := f.Full()
	if err != nil {
		return nil, err
	}
	r := v.D.Reader()
	r.Seek(off)
	return r.Next()
}

// WithOrigin returns e with the attributes it lacks (name, decl_file,
// type) taken from its DW_AT_abstract_origin or DW_AT_specification,
// read with r: delve's godwarf merges them.
func WithOrigin(e *dwarf.Entry, r *dwarf.Reader) interface{ Val(dwarf.Attr) any } {
	merged, _ := godwarf.LoadAbstractOriginAndSpecification(e, r)
	return merged
}

// Origin is the DIE e's DW_AT_abstract_origin or DW_AT_specification
// points at (an offset in e's view), or 0.
func Origin(e *dwarf.Entry) dwarf.Offset {
	if o, ok := e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset); ok {
		return o
	}
	if o, ok := e.Val(dwarf.AttrSpecification).(dwarf.Offset); ok {
		return o
	}
	return 0
}

// PCRange returns the entry and end of a subprogram: low_pc/high_pc, or
// the first range of DW_AT_ranges (GCC splits hot/cold parts).
func PCRange(d *dwarf.Data, e *dwarf.Entry) (uint64, uint64) {
	if lo, ok := e.Val(dwarf.AttrLowpc).(uint64); ok {
		switch hi := e.Val(dwarf.AttrHighpc).(type) {
		case uint64:
			return lo, hi
		case int64:
			return lo, lo + uint64(hi)
		}
		return lo, lo
	}
	if e.Val(dwarf.AttrRanges) != nil {
		if rs, err := d.Ranges(e); err == nil && len(rs) > 0 {
			return rs[0][0], rs[0][1]
		}
	}
	return 0, 0
}

// Children calls f on each direct child of e, read with r positioned just
// after e; grandchildren are skipped undecoded (through DW_AT_sibling).
// f must not move r.
func Children(r *dwarf.Reader, e *dwarf.Entry, f func(c *dwarf.Entry)) error {
	if !e.Children {
		return nil
	}
	for {
		c, err := r.Next()
		if err != nil {
			return err
		}
		if c == nil || c.Tag == 0 {
			return nil
		}
		if c.Children {
			r.SkipChildren()
		}
		f(c)
	}
}
