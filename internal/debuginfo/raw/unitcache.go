package raw

import (
	"bytes"
	"debug/dwarf"
	"encoding/binary"
	"hash/crc32"
	"os"
)

// The unit table is cheap to compute but not to touch: walking the 2,700
// unit headers of a vmlinux faults in one page of .debug_info each, 7 ms
// of a 15 ms lookup. Large files keep it next to the name index
// (<build-id>.units), a flat little-endian table with a CRC, checked
// against the file before use.

const (
	unitsMagic    = "stapgen units 1\n"
	unitsHeader   = len(unitsMagic) + 8 + 8 + 8 + 4 // size, mtime, .debug_info length, count; a CRC-32C of all before it ends the file
	unitRecord    = 8 + 8 + 8 + 8 + 2 + 1           // hdr, die, end, abbrev, version, address size
	minCacheUnits = 256                             // below this the walk costs less than the file
)

// openUnits returns the unit table of info: from the cache when a valid
// entry exists, else read from the headers (and cached when large).
func openUnits(c Cache, info []byte, order binary.ByteOrder) ([]Unit, error) {
	p, cacheable := c.Path(".units")
	if cacheable {
		if us := loadUnits(p, c.Size, c.MTime, info, order); us != nil {
			return us, nil
		}
	}
	us, err := readUnits(info, order)
	if err == nil && cacheable && len(us) >= minCacheUnits {
		WriteAtomic(p, func(f *os.File) error {
			_, err := f.Write(encodeUnits(us, c.Size, c.MTime, len(info)))
			return err
		})
	}
	return us, err
}

func encodeUnits(us []Unit, size, mtime int64, infoLen int) []byte {
	le := binary.LittleEndian
	out := make([]byte, 0, unitsHeader+len(us)*unitRecord)
	out = append(out, unitsMagic...)
	out = le.AppendUint64(out, uint64(size))
	out = le.AppendUint64(out, uint64(mtime))
	out = le.AppendUint64(out, uint64(infoLen))
	out = le.AppendUint32(out, uint32(len(us)))
	for _, u := range us {
		out = le.AppendUint64(out, uint64(u.Hdr))
		out = le.AppendUint64(out, uint64(u.DIE))
		out = le.AppendUint64(out, uint64(u.End))
		out = le.AppendUint64(out, u.Abbrev)
		out = le.AppendUint16(out, u.Version)
		out = append(out, byte(u.AddrSize))
	}
	return le.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// loadUnits reads a cached unit table, or returns nil when there is none
// or it does not describe this file (its size and mtime, and info).
func loadUnits(p string, size, mtime int64, info []byte, order binary.ByteOrder) []Unit {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	us := decodeUnits(data, size, mtime, len(info))
	if us == nil {
		return nil
	}
	// The table must tile .debug_info (decodeUnits checks that); spot
	// check that its first and last entries are what the file says.
	for _, u := range []Unit{us[0], us[len(us)-1]} {
		if got, err := readUnit(info, int(u.Hdr), order); err != nil || got != u {
			return nil
		}
	}
	return us
}

// decodeUnits parses a unit cache file. It trusts nothing: the units must
// start at 0, follow each other without gaps and end at infoLen, with a
// header size and version readUnits could have produced.
func decodeUnits(data []byte, size, mtime int64, infoLen int) []Unit {
	le := binary.LittleEndian
	if len(data) < unitsHeader+4 || !bytes.HasPrefix(data, []byte(unitsMagic)) {
		return nil
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, castagnoli) != le.Uint32(data[len(body):]) {
		return nil
	}
	h := data[len(unitsMagic):]
	if int64(le.Uint64(h)) != size || int64(le.Uint64(h[8:])) != mtime || le.Uint64(h[16:]) != uint64(infoLen) {
		return nil
	}
	n := int(le.Uint32(h[24:]))
	rec := body[unitsHeader:]
	if n == 0 || len(rec) != n*unitRecord {
		return nil
	}
	us := make([]Unit, n)
	next := dwarf.Offset(0)
	for i := range us {
		r := rec[i*unitRecord:]
		u := Unit{Hdr: dwarf.Offset(le.Uint64(r)), DIE: dwarf.Offset(le.Uint64(r[8:])), End: dwarf.Offset(le.Uint64(r[16:])),
			Abbrev: le.Uint64(r[24:]), Version: le.Uint16(r[32:]), AddrSize: int(r[34])}
		if u.Hdr != next || u.DIE <= u.Hdr || u.DIE-u.Hdr > 64 || u.End < u.DIE || u.Version < 2 || u.Version > 5 {
			return nil
		}
		us[i], next = u, u.End
	}
	if next != dwarf.Offset(infoLen) {
		return nil
	}
	return us
}
