package gopclntab

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/stapgen/stapgen/internal/goruntime"
)

// TypeDesc is what a type descriptor says of its type: enough to name an
// interface's dynamic type and to tell what its data word holds.
type TypeDesc struct {
	// Name is the type as reflect spells it ("*errors.errorString",
	// "syscall.Errno": the package's name, not its path).
	Name string
	Kind uint8 // reflect.Kind
	Size uint64
	// Direct: the interface's data word is the value itself (a pointer,
	// or a type shaped like one), not a pointer to it. Go 1.26 moved the
	// bit that says so from Kind_ to TFlag; both cache what this is
	// computed from: one word, all of it a pointer (Size_ == PtrBytes == 8).
	Direct bool
}

// TypeAt reads the descriptor at link-time address addr, which must lie
// in the binary's type descriptors (moduledata.types..etypes, on a word
// boundary): an interface's type word, once a PIE's load bias is taken
// off, is one.
func (t *Table) TypeAt(addr uint64) (d TypeDesc, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = TypeDesc{}, fmt.Errorf("corrupt type metadata: %v: %w", r, ErrNoTypeInfo)
		}
	}()
	base, end, err := t.Types()
	if err != nil {
		return TypeDesc{}, err
	}
	if addr < base || addr >= end || end-addr < typeSize || addr%8 != 0 {
		return TypeDesc{}, fmt.Errorf("%#x is not a type descriptor (types %#x-%#x)", addr, base, end)
	}
	b, err := t.img.raw(addr, typeSize)
	if err != nil {
		return TypeDesc{}, err
	}
	off := int32(binary.LittleEndian.Uint32(b[goruntime.TypeStrOff:]))
	if off < 0 || uint64(off) >= end-base {
		return TypeDesc{}, fmt.Errorf("type at %#x: name offset %d outside the types", addr, off)
	}
	name, err := t.name(base + uint64(off))
	if err != nil {
		return TypeDesc{}, fmt.Errorf("type at %#x: %w", addr, err)
	}
	if b[goruntime.TypeTFlagOff]&goruntime.TFlagExtraStar != 0 {
		name = strings.TrimPrefix(name, "*")
	}
	size, ptrBytes := word(b, 0), word(b, 8)
	return TypeDesc{Name: name, Kind: b[goruntime.TypeKindOff] & goruntime.KindMask, Size: size, Direct: size == 8 && ptrBytes == 8}, nil
}
