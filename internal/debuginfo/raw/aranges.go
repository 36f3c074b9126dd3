package raw

import (
	"cmp"
	"debug/dwarf"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
)

// addrRange maps [lo, hi) to the index of a unit in File.Units.
type addrRange struct {
	lo, hi uint64
	unit   int32
}

// cuTable answers "which compilation unit holds this pc" by binary search.
// debug/dwarf's SeekPC walks every unit linearly; on a vmlinux that is
// thousands of DIE decodes per query.
type cuTable []addrRange

func (t cuTable) find(pc uint64) (int, bool) {
	i := sort.Search(len(t), func(i int) bool { return t[i].hi > pc })
	if i < len(t) && t[i].lo <= pc {
		return int(t[i].unit), true
	}
	return -1, false
}

func (t cuTable) sort() {
	// Generic pdqsort: sort.Slice's reflection-based swaps made this 2 ms
	// of a 15 ms kernel lookup.
	slices.SortFunc(t, func(a, b addrRange) int { return cmp.Compare(a.lo, b.lo) })
}

// parseAranges reads .debug_aranges (DWARF 2-5, 32- and 64-bit). Each set
// names the unit by its header offset, which unitByHdr turns into an index;
// covered holds the units some set names.
func parseAranges(data []byte, order binary.ByteOrder, unitByHdr map[dwarf.Offset]int) (t cuTable, covered map[int]bool, err error) {
	covered = map[int]bool{}
	off := 0
	for off < len(data) {
		if len(data)-off < 4 {
			return t, covered, fmt.Errorf("aranges at %#x: truncated", off)
		}
		length := uint64(order.Uint32(data[off:]))
		lenSz, offSz := 4, 4
		if length == 0xffffffff {
			if len(data)-off < 12 {
				return t, covered, fmt.Errorf("aranges at %#x: truncated", off)
			}
			length = order.Uint64(data[off+4:])
			lenSz, offSz = 12, 8
		}
		end := uint64(off) + uint64(lenSz) + length
		if end > uint64(len(data)) || length < uint64(2+offSz+2) {
			return t, covered, fmt.Errorf("aranges at %#x: length %d past end", off, length)
		}
		p := off + lenSz + 2 // version
		var cuOff uint64
		if offSz == 8 {
			cuOff = order.Uint64(data[p:])
		} else {
			cuOff = uint64(order.Uint32(data[p:]))
		}
		p += offSz
		addrSz, segSz := int(data[p]), int(data[p+1])
		p += 2
		if addrSz != 4 && addrSz != 8 {
			return t, covered, fmt.Errorf("aranges at %#x: address size %d", off, addrSz)
		}
		// Tuples start at a multiple of twice the address size.
		tuple := 2*addrSz + segSz
		if r := (p - off) % (2 * addrSz); r != 0 {
			p += 2*addrSz - r
		}
		u, ok := unitByHdr[dwarf.Offset(cuOff)]
		if ok {
			covered[u] = true
		}
		for ; uint64(p+tuple) <= end; p += tuple {
			q := p + segSz
			var lo, n uint64
			if addrSz == 8 {
				lo, n = order.Uint64(data[q:]), order.Uint64(data[q+8:])
			} else {
				lo, n = uint64(order.Uint32(data[q:])), uint64(order.Uint32(data[q+4:]))
			}
			if lo == 0 && n == 0 {
				break
			}
			if ok && n > 0 && lo+n > lo {
				t = append(t, addrRange{lo: lo, hi: lo + n, unit: int32(u)})
			}
		}
		off = int(end)
	}
	t.sort()
	return t, covered, nil
}

// UnitAt returns the unit whose code holds pc.
func (f *File) UnitAt(pc uint64) (int, bool) { return f.cuTable().find(pc) }

// cuTable returns the address → unit table: .debug_aranges for the units
// it covers, each other unit's own ranges for the rest. Go emits no
// aranges, and an externally linked Go binary has the C linker's, which
// cover only the C objects (crt, cgo glue): trusting them alone lost
// every Go unit, and with it the line table of every Go function.
func (f *File) cuTable() cuTable {
	if f.cuTabOK {
		return f.cuTab
	}
	f.cuTabOK = true
	var t cuTable
	covered := map[int]bool{}
	if len(f.sec.aranges) > 0 {
		at, cov, err := parseAranges(f.sec.aranges, f.sec.order, f.unitByHdr)
		if err == nil {
			t, covered = at, cov
		}
	}
	if len(covered) < len(f.Units) {
		t = append(t, f.unitRanges(covered)...)
		t.sort()
	}
	f.cuTab = t
	return t
}

// unitRanges reads the DW_AT_low_pc/high_pc or DW_AT_ranges of every unit
// not in skip.
func (f *File) unitRanges(skip map[int]bool) cuTable {
	// When most units are needed, read them through one full view rather
	// than one reader per unit; a few (a kernel's assembly units) are not
	// worth the full view's cost.
	if len(f.Units)-len(skip) > len(f.Units)/2 {
		if _, err := f.Full(); err != nil {
			return nil
		}
	}
	var t cuTable
	for i := range f.Units {
		if skip[i] {
			continue
		}
		m := f.Meta(i)
		if m == nil {
			continue
		}
		rs, err := m.View.D.Ranges(m.Entry)
		if err != nil {
			continue
		}
		for _, r := range rs {
			if r[1] > r[0] {
				t = append(t, addrRange{lo: r[0], hi: r[1], unit: int32(i)})
			}
		}
	}
	return t
}
