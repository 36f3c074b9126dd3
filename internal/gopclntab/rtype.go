package gopclntab

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/stapgen/stapgen/internal/goruntime"
)

// The runtime's type descriptors (internal/abi.Type and StructType) on
// amd64, unchanged in layout from Go 1.17 to 1.26:
//
//	Size_ PtrBytes uintptr; Hash uint32; TFlag, Align_, FieldAlign_, Kind_ uint8;
//	Equal, GCData pointers; Str NameOff int32; PtrToThis TypeOff int32   (48 bytes)
//	StructType: Type; PkgPath Name; Fields []StructField
//	StructField: Name Name; Typ *Type; Offset uintptr                     (24 bytes)
const (
	typeKind      = 23
	typeStr       = 40
	typeSize      = 48
	structFields  = typeSize + 8
	fieldSize     = 24
	kindMask      = 0x1f
	kindStruct    = 25
	maxFields     = 1 << 12
	maxNames      = 8
	nameMaxLength = 1 << 16
)

// ErrNoTypeInfo means the binary's type metadata does not describe the
// goroutine struct (no moduledata, or a layout this reader does not know).
var ErrNoTypeInfo = errors.New("no runtime type metadata for runtime.g")

// GoidOffset is the offset of runtime.g.goid, read from the binary's own
// type descriptor of runtime.g: every Go program has one (the runtime
// allocates its g's with new), DWARF or not. Computed once.
func (t *Table) GoidOffset() (int64, error) {
	t.goidOnce.Do(func() { t.goid, t.goidErr = t.fieldOffset(goruntime.GType, goruntime.GoidField) })
	return t.goid, t.goidErr
}

// fieldOffset finds the struct type named typ and the offset of its field.
func (t *Table) fieldOffset(typ, field string) (off int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			off, err = 0, fmt.Errorf("corrupt type metadata: %v: %w", r, ErrNoTypeInfo)
		}
	}()
	if t.md == nil {
		return 0, fmt.Errorf("no moduledata: %w", ErrNoTypeInfo)
	}
	types, err := t.img.raw(t.md.types, t.md.etypes-t.md.types)
	if err != nil {
		return 0, fmt.Errorf("types %#x-%#x: %w: %w", t.md.types, t.md.etypes, err, ErrNoTypeInfo)
	}
	// A named type's Str is "*pkg.T" with TFlagExtraStar set, so that
	// its pointer type can share the string.
	names := nameOffsets(types, "*"+typ)
	if len(names) > maxNames {
		// The linker writes each name once; a hostile file's thousands
		// would each cost a scan of the whole range.
		names = names[:maxNames]
	}
	for _, nameOff := range names {
		for o := 0; o+typeSize <= len(types); o += 8 {
			if types[o+typeKind]&kindMask != kindStruct || int32(binary.LittleEndian.Uint32(types[o+typeStr:])) != int32(nameOff) {
				continue
			}
			if off, ok, err := t.structField(t.md.types+uint64(o), field); err == nil && ok && off > 0 && off < 1<<16 {
				return off, nil
			}
		}
	}
	return 0, fmt.Errorf("no struct %s with field %s in the types at %#x: %w", typ, field, t.md.types, ErrNoTypeInfo)
}

// nameOffsets are the offsets in types of every encoded name equal to s:
// a flags byte, a varint length (Go 1.17+), the bytes.
func nameOffsets(types []byte, s string) []int {
	var lenb [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(lenb[:], uint64(len(s)))
	pat := append(lenb[:n:n], s...)
	var out []int
	for off := 0; ; {
		i := bytes.Index(types[off:], pat)
		if i < 0 {
			return out
		}
		if at := off + i; at > 0 {
			out = append(out, at-1)
		}
		off += i + 1
	}
}

// structField reads the field list of the struct descriptor at addr. Its
// pointers need the PIE's relocations.
func (t *Table) structField(addr uint64, field string) (int64, bool, error) {
	hdr, err := t.img.read(addr, structFields+24)
	if err != nil {
		return 0, false, err
	}
	fields, n := word(hdr, structFields), word(hdr, structFields+8)
	if n == 0 || n > maxFields {
		return 0, false, nil
	}
	fs, err := t.img.read(fields, n*fieldSize)
	if err != nil {
		return 0, false, err
	}
	// Before Go 1.19 Offset held offset<<1 | embedded. Go's g has always
	// begun with stack (lo, hi) and stackguard0 at 16, which tells the
	// encodings apart without trusting a version string.
	shift := -1
	offsets := map[string]uint64{}
	for i := uint64(0); i < n; i++ {
		name, err := t.name(word(fs, i*fieldSize))
		if err != nil {
			return 0, false, err
		}
		offsets[name] = word(fs, i*fieldSize+16)
	}
	switch offsets["stackguard0"] {
	case 16:
		shift = 0
	case 32, 33:
		shift = 1
	}
	v, ok := offsets[field]
	if !ok || shift < 0 {
		return 0, false, nil
	}
	return int64(v >> shift), true, nil
}

// name decodes the name at addr: flags, varint length, bytes.
func (t *Table) name(addr uint64) (string, error) {
	b, err := t.img.raw(addr, 1+binary.MaxVarintLen64)
	if err != nil {
		// A short name near a section's end: read what there is.
		if b, err = t.img.raw(addr, 3); err != nil {
			return "", err
		}
	}
	l, n := binary.Uvarint(b[1:])
	if n <= 0 || l > nameMaxLength {
		return "", fmt.Errorf("name at %#x: bad length", addr)
	}
	s, err := t.img.raw(addr+1+uint64(n), l)
	if err != nil {
		return "", err
	}
	return string(s), nil
}
