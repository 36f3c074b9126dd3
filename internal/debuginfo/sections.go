package debuginfo

import (
	"debug/dwarf"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/go-delve/delve/pkg/dwarf/godwarf"
	"github.com/stapgen/stapgen/internal/target"
)

// sections holds the raw DWARF sections of one file. Plain sections alias
// the file's read-only mapping; compressed ones were inflated once by
// target.Binary.Section.
type sections struct {
	info, abbrev, str, line, ranges, aranges []byte
	lineStr, rnglists, strOffsets, addr      []byte
	loc, loclists                            []byte
	order                                    binary.ByteOrder
}

func loadSections(b *target.Binary) (*sections, error) {
	f := b.DWARFFile()
	s := &sections{order: f.ELF().ByteOrder}
	want := []struct {
		name string
		dst  *[]byte
	}{
		{".debug_info", &s.info}, {".debug_abbrev", &s.abbrev}, {".debug_str", &s.str},
		{".debug_line", &s.line}, {".debug_ranges", &s.ranges}, {".debug_aranges", &s.aranges},
		{".debug_line_str", &s.lineStr}, {".debug_rnglists", &s.rnglists},
		{".debug_str_offsets", &s.strOffsets}, {".debug_addr", &s.addr},
		{".debug_loc", &s.loc}, {".debug_loclists", &s.loclists},
	}
	// Compressed sections (Go compresses its DWARF) inflate in parallel:
	// on 2 cores that halves the 150 ms a 20 MB Go binary costs.
	errs := make([]error, len(want))
	var wg sync.WaitGroup
	for i, x := range want {
		wg.Go(func() { *x.dst, errs[i] = f.Section(x.name) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err // the first: one line for the user
		}
	}
	if len(s.info) == 0 || len(s.abbrev) == 0 {
		if err := b.RequireDWARF(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s: empty .debug_info or .debug_abbrev", f.Path)
	}
	return s, nil
}

// newData builds a debug/dwarf reader over the sections without copying
// them (elf.File.DWARF would copy every .debug_* section: 500 MB for a
// vmlinux).
func (s *sections) newData(info []byte, path string) (d *dwarf.Data, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("%s: corrupt DWARF: %v", path, r)
		}
	}()
	d, err = dwarf.New(s.abbrev, nil, nil, info, s.line, nil, s.ranges, s.str)
	if err != nil {
		return nil, fmt.Errorf("%s: corrupt DWARF: %w", path, err)
	}
	for _, x := range []struct {
		name string
		data []byte
	}{
		{".debug_line_str", s.lineStr}, {".debug_rnglists", s.rnglists},
		{".debug_str_offsets", s.strOffsets}, {".debug_addr", s.addr},
	} {
		if len(x.data) == 0 {
			continue
		}
		if err := d.AddSection(x.name, x.data); err != nil {
			return nil, fmt.Errorf("%s: corrupt DWARF section %s: %w", path, x.name, err)
		}
	}
	return d, nil
}

// unit is one compilation unit header of .debug_info.
type unit struct {
	hdr     dwarf.Offset // offset of the unit header
	die     dwarf.Offset // offset of the unit's first DIE (what Reader.Seek wants)
	end     dwarf.Offset
	version uint16
	addrSz  int
	abbrev  uint64 // offset of the unit's abbreviation table
}

// readUnits walks the unit headers of .debug_info without decoding DIEs.
// The first DIE follows the header: 11 bytes for DWARF 2-4, 12 for DWARF 5
// compile/partial units, 20 for skeleton/split units (plus 12 more for
// 64-bit DWARF's length and offsets).
func readUnits(info []byte, order binary.ByteOrder) ([]unit, error) {
	var us []unit
	for off := 0; off < len(info); {
		u, err := readUnit(info, off, order)
		if err != nil {
			return us, err
		}
		us = append(us, u)
		off = int(u.end)
	}
	return us, nil
}

// readUnit reads the header of the unit at off.
func readUnit(info []byte, off int, order binary.ByteOrder) (unit, error) {
	if off < 0 || len(info)-off < 11 {
		return unit{}, fmt.Errorf("unit at %#x: truncated header", off)
	}
	length := uint64(order.Uint32(info[off:]))
	lenSz, offSz := 4, 4
	if length == 0xffffffff {
		if len(info)-off < 23 {
			return unit{}, fmt.Errorf("unit at %#x: truncated header", off)
		}
		length = order.Uint64(info[off+4:])
		lenSz, offSz = 12, 8
	} else if length >= 0xfffffff0 {
		return unit{}, fmt.Errorf("unit at %#x: reserved length %#x", off, length)
	}
	end := uint64(off) + uint64(lenSz) + length
	if length < 7 || end > uint64(len(info)) {
		return unit{}, fmt.Errorf("unit at %#x: length %d past end of section", off, length)
	}
	p := off + lenSz
	u := unit{hdr: dwarf.Offset(off), end: dwarf.Offset(end), version: order.Uint16(info[p:])}
	p += 2
	switch {
	case u.version >= 5:
		utype := info[p]
		u.addrSz = int(info[p+1])
		u.abbrev = readOff(info[p+2:], offSz, order)
		p += 2 + offSz
		switch utype {
		case 0x04, 0x05: // DW_UT_skeleton, DW_UT_split_compile
			p += 8
		case 0x02, 0x06: // DW_UT_type, DW_UT_split_type
			p += 8 + offSz
		}
	case u.version >= 2:
		u.abbrev = readOff(info[p:], offSz, order)
		p += offSz
		u.addrSz = int(info[p])
		p++
	default:
		return unit{}, fmt.Errorf("unit at %#x: unsupported DWARF version %d", off, u.version)
	}
	if uint64(p) > end {
		return unit{}, fmt.Errorf("unit at %#x: header longer than unit", off)
	}
	u.die = dwarf.Offset(p)
	return u, nil
}

func readOff(b []byte, size int, order binary.ByteOrder) uint64 {
	if size == 8 {
		return order.Uint64(b)
	}
	return uint64(order.Uint32(b))
}

// debugAddr returns delve's view of .debug_addr for loclist decoding, or
// nil when the binary has none (GCC 12 vmlinux).
func (s *sections) debugAddr() (a *godwarf.DebugAddrSection) {
	if len(s.addr) < 8 {
		return nil
	}
	defer func() {
		if recover() != nil {
			a = nil
		}
	}()
	return godwarf.ParseAddr(s.addr)
}
