package raw

import (
	"debug/dwarf"
	"encoding/binary"
	"fmt"
)

// Unit is one compilation unit header of .debug_info.
type Unit struct {
	Hdr      dwarf.Offset // offset of the unit header
	DIE      dwarf.Offset // offset of the unit's first DIE (what Reader.Seek wants)
	End      dwarf.Offset
	Version  uint16
	AddrSize int
	Abbrev   uint64 // offset of the unit's abbreviation table
}

// readUnits walks the unit headers of .debug_info without decoding DIEs.
// The first DIE follows the header: 11 bytes for DWARF 2-4, 12 for DWARF 5
// compile/partial units, 20 for skeleton/split units (plus 12 more for
// 64-bit DWARF's length and offsets).
func readUnits(info []byte, order binary.ByteOrder) ([]Unit, error) {
	var us []Unit
	for off := 0; off < len(info); {
		u, err := readUnit(info, off, order)
		if err != nil {
			return us, err
		}
		us = append(us, u)
		off = int(u.End)
	}
	return us, nil
}

// readUnit reads the header of the unit at off.
func readUnit(info []byte, off int, order binary.ByteOrder) (Unit, error) {
	if off < 0 || len(info)-off < 11 {
		return Unit{}, fmt.Errorf("unit at %#x: truncated header", off)
	}
	length := uint64(order.Uint32(info[off:]))
	lenSz, offSz := 4, 4
	if length == 0xffffffff {
		if len(info)-off < 23 {
			return Unit{}, fmt.Errorf("unit at %#x: truncated header", off)
		}
		length = order.Uint64(info[off+4:])
		lenSz, offSz = 12, 8
	} else if length >= 0xfffffff0 {
		return Unit{}, fmt.Errorf("unit at %#x: reserved length %#x", off, length)
	}
	end := uint64(off) + uint64(lenSz) + length
	if length < 7 || end > uint64(len(info)) {
		return Unit{}, fmt.Errorf("unit at %#x: length %d past end of section", off, length)
	}
	p := off + lenSz
	u := Unit{Hdr: dwarf.Offset(off), End: dwarf.Offset(end), Version: order.Uint16(info[p:])}
	p += 2
	switch {
	case u.Version >= 5:
		utype := info[p]
		u.AddrSize = int(info[p+1])
		u.Abbrev = readOff(info[p+2:], offSz, order)
		p += 2 + offSz
		switch utype {
		case 0x04, 0x05: // DW_UT_skeleton, DW_UT_split_compile
			p += 8
		case 0x02, 0x06: // DW_UT_type, DW_UT_split_type
			p += 8 + offSz
		}
	case u.Version >= 2:
		u.Abbrev = readOff(info[p:], offSz, order)
		p += offSz
		u.AddrSize = int(info[p])
		p++
	default:
		return Unit{}, fmt.Errorf("unit at %#x: unsupported DWARF version %d", off, u.Version)
	}
	if uint64(p) > end {
		return Unit{}, fmt.Errorf("unit at %#x: header longer than unit", off)
	}
	u.DIE = dwarf.Offset(p)
	return u, nil
}

func readOff(b []byte, size int, order binary.ByteOrder) uint64 {
	if size == 8 {
		return order.Uint64(b)
	}
	return uint64(order.Uint32(b))
}
