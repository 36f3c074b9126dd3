package raw

import (
	"debug/dwarf"
	"fmt"
)

// View is a debug/dwarf reader over the whole .debug_info (base 0) or
// over a single compilation unit, whose DIE offsets are then relative to
// the unit's header (base). Global offsets (the index's) go through
// Local/Global.
//
// Why single units: dwarf.New parses the header and abbreviation table of
// every unit, about 85 ms and tens of MB for a vmlinux; a lookup by
// symbol needs one unit. A unit can be read alone when nothing in it
// refers outside it (no DW_FORM_ref_addr: true for GCC without LTO, false
// for Go, whose types live in other units).
type View struct {
	D    *dwarf.Data
	Base dwarf.Offset
}

// Local turns a global (.debug_info) offset into one of the view.
func (v *View) Local(off dwarf.Offset) dwarf.Offset { return off - v.Base }

// Global turns an offset of the view into a global one.
func (v *View) Global(off dwarf.Offset) dwarf.Offset { return off + v.Base }

// Full returns the view over all of .debug_info, built on first use.
func (f *File) Full() (*View, error) {
	if f.fullView != nil {
		return f.fullView, nil
	}
	d, err := f.sec.newData(f.sec.info, f.Path)
	if err != nil {
		return nil, err
	}
	f.fullView = &View{D: d}
	return f.fullView, nil
}

// ViewOf returns the view unit u is read through, fixed at first use so
// that everything derived from the unit (its CU entry, offsets) agrees.
func (f *File) ViewOf(u int) (*View, error) {
	if v, ok := f.views[u]; ok {
		return v, nil
	}
	var v *View
	if f.fullView == nil && f.selfContained(u) {
		un := f.Units[u]
		d, err := f.sec.newData(f.sec.info[un.Hdr:un.End], f.Path)
		if err == nil {
			v = &View{D: d, Base: un.Hdr}
		}
	}
	if v == nil {
		fv, err := f.Full()
		if err != nil {
			return nil, err
		}
		v = fv
	}
	f.views[u] = v
	return v, nil
}

// ForgetUnit drops a per-unit view after a failure (a reference leaving
// the unit that the abbreviation check missed); the next use reads the
// unit through the full view. False when u was read through it already.
func (f *File) ForgetUnit(u int) bool {
	v, ok := f.views[u]
	if !ok || v == f.fullView {
		return false
	}
	delete(f.views, u)
	f.meta[u] = nil
	delete(f.lines, u)
	f.noSplit[u] = true
	return true
}

// selfContained reports whether unit u's abbreviations use no form that
// refers outside the unit.
func (f *File) selfContained(u int) bool {
	if f.noSplit[u] {
		return false
	}
	off := f.Units[u].Abbrev
	if off >= uint64(len(f.sec.abbrev)) {
		return false
	}
	b := f.sec.abbrev[off:]
	for len(b) > 0 {
		code, n := ULEB128(b)
		b = b[n:]
		if code == 0 {
			return true
		}
		_, n = ULEB128(b) // tag
		if n == 0 || len(b) < n+1 {
			return false
		}
		b = b[n+1:] // and the children flag
		for {
			if len(b) == 0 {
				return false
			}
			name, n1 := ULEB128(b)
			form, n2 := ULEB128(b[n1:])
			b = b[n1+n2:]
			if name == 0 && form == 0 {
				break
			}
			switch form {
			case 0x10, 0x16, 0x1c, 0x1f20, 0x20, 0x24: // ref_addr, indirect, ref_sup4, GNU_ref_alt, ref_sig8, ref_sup8
				return false
			case 0x21: // implicit_const carries a value in the abbreviation
				_, n := sleb(b)
				b = b[n:]
			}
		}
	}
	return false
}

// UnitEntry reads the CU DIE of unit u through its view.
func (f *File) UnitEntry(u int) (*View, *dwarf.Entry, error) {
	v, err := f.ViewOf(u)
	if err != nil {
		return nil, nil, err
	}
	r := v.D.Reader()
	r.Seek(v.Local(f.Units[u].DIE))
	e, err := r.Next()
	if err != nil {
		return nil, nil, err
	}
	if e == nil {
		return nil, nil, fmt.Errorf("unit %d: no DIE", u)
	}
	return v, e, nil
}
