package debuginfo

import (
	"debug/dwarf"
	"fmt"
)

// view is a debug/dwarf reader over the whole .debug_info (base 0) or
// over a single compilation unit, whose DIE offsets are then relative to
// the unit's header (base). Global offsets (the index's) go through
// local/global.
//
// Why single units: dwarf.New parses the header and abbreviation table of
// every unit, about 85 ms and tens of MB for a vmlinux; a lookup by
// symbol needs one unit. A unit can be read alone when nothing in it
// refers outside it (no DW_FORM_ref_addr: true for GCC without LTO, false
// for Go, whose types live in other units).
type view struct {
	d     *dwarf.Data
	base  dwarf.Offset
	types *typeReader
}

func (v *view) local(off dwarf.Offset) dwarf.Offset  { return off - v.base }
func (v *view) global(off dwarf.Offset) dwarf.Offset { return off + v.base }

// full returns the view over all of .debug_info, built on first use.
func (ix *Index) full() (*view, error) {
	if ix.fullView != nil {
		return ix.fullView, nil
	}
	d, err := ix.sec.newData(ix.sec.info, ix.path)
	if err != nil {
		return nil, err
	}
	ix.d = d
	ix.fullView = &view{d: d, types: newTypeReader(d, ix.ptrSize, ix.shared, &ix.mu, ix.alive)}
	ix.types = ix.fullView.types
	return ix.fullView, nil
}

// viewOf returns the view unit u is read through, fixed at first use so
// that everything derived from the unit (its CU entry, offsets) agrees.
func (ix *Index) viewOf(u int) (*view, error) {
	if v, ok := ix.views[u]; ok {
		return v, nil
	}
	var v *view
	if ix.fullView == nil && ix.selfContained(u) {
		un := ix.units[u]
		d, err := ix.sec.newData(ix.sec.info[un.hdr:un.end], ix.path)
		if err == nil {
			v = &view{d: d, base: un.hdr, types: newTypeReader(d, ix.ptrSize, ix.shared, &ix.mu, ix.alive)}
		}
	}
	if v == nil {
		fv, err := ix.full()
		if err != nil {
			return nil, err
		}
		v = fv
	}
	ix.views[u] = v
	return v, nil
}

// forgetUnit drops a per-unit view after a failure (a reference leaving
// the unit that the abbreviation check missed); the next use reads the
// unit through the full view.
func (ix *Index) forgetUnit(u int) bool {
	v, ok := ix.views[u]
	if !ok || v == ix.fullView {
		return false
	}
	delete(ix.views, u)
	ix.meta[u] = nil
	ix.noSplit[u] = true
	return true
}

// selfContained reports whether unit u's abbreviations use no form that
// refers outside the unit.
func (ix *Index) selfContained(u int) bool {
	if ix.noSplit[u] {
		return false
	}
	off := ix.units[u].abbrev
	if off >= uint64(len(ix.sec.abbrev)) {
		return false
	}
	b := ix.sec.abbrev[off:]
	for len(b) > 0 {
		code, n := uleb(b)
		b = b[n:]
		if code == 0 {
			return true
		}
		_, n = uleb(b) // tag
		if n == 0 || len(b) < n+1 {
			return false
		}
		b = b[n+1:] // and the children flag
		for {
			if len(b) == 0 {
				return false
			}
			name, n1 := uleb(b)
			form, n2 := uleb(b[n1:])
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

// unitEntry reads the CU DIE of unit u through its view.
func (ix *Index) unitEntry(u int) (*view, *dwarf.Entry, error) {
	v, err := ix.viewOf(u)
	if err != nil {
		return nil, nil, err
	}
	r := v.d.Reader()
	r.Seek(v.local(ix.units[u].die))
	e, err := r.Next()
	if err != nil {
		return nil, nil, err
	}
	if e == nil {
		return nil, nil, fmt.Errorf("unit %d: no DIE", u)
	}
	return v, e, nil
}
