package target

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
)

// relBase is where the first loaded section of a relocatable file (a
// kernel module) is placed. Every section of an ET_REL file claims
// address 0, so .text, .init.text and .exit.text would overlap and a
// function at the start of .text would have entry 0, which the model
// reads as "unknown". The module loader places sections one after
// another; so does layoutRelocatable, from a page up.
const relBase = 0x1000

// Relocatable reports whether the file is ET_REL (a kernel module, an
// object file): its DWARF holds section-relative values that only mean
// something once relocated.
func (b *Binary) Relocatable() bool { return b.elf.Type == elf.ET_REL }

// layoutRelocatable gives the loaded sections of an ET_REL file
// distinct, aligned addresses, in file order, as a linker or the module
// loader would. Symbol values, relocated DWARF and ReadAt then all speak
// of the same addresses, and no two functions share one.
func (b *Binary) layoutRelocatable() {
	if !b.Relocatable() {
		return
	}
	addr := uint64(relBase)
	for _, s := range b.elf.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 {
			continue
		}
		if a := s.Addralign; a > 1 && a&(a-1) == 0 {
			addr = (addr + a - 1) &^ (a - 1)
		}
		s.Addr = addr
		addr += s.Size
	}
}

// SectionAddr is the address a section of an ET_REL file was placed at
// (its link address for other files); false when the index is not a
// section.
func (b *Binary) SectionAddr(i elf.SectionIndex) (uint64, bool) {
	if int(i) <= 0 || int(i) >= len(b.elf.Sections) {
		return 0, false
	}
	return b.elf.Sections[i].Addr, true
}

// relocationsOf returns the SHT_RELA section that applies to section s,
// or nil.
func (b *Binary) relocationsOf(s *elf.Section) *elf.Section {
	for i, r := range b.elf.Sections {
		if r.Type != elf.SHT_RELA || int(r.Info) >= len(b.elf.Sections) || i == 0 {
			continue
		}
		if b.elf.Sections[r.Info] == s {
			return r
		}
	}
	return nil
}

// x86-64 relocation types that appear in the debug sections of kernel
// modules (GCC 12: 64-bit addresses, 32-bit section offsets).
const (
	rX8664None  = 0
	rX866464    = 1
	rX8664PC32  = 2
	rX866432    = 10
	rX866432S   = 11
	rX8664PC64  = 24
	relaEntSize = 24
)

// relocate returns a copy of data (the contents of section s) with the
// relocations of rel applied: S + A, S being the symbol's value plus the
// address its section was placed at (0 for the debug sections, whose
// references are offsets). Undefined symbols count as 0, as in an
// unlinked object.
func (b *Binary) relocate(s, rel *elf.Section, data []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &FormatError{Path: b.Path, Msg: fmt.Sprintf("relocations of %s: %v", s.Name, r)}
		}
	}()
	if b.elf.Machine != elf.EM_X86_64 || b.elf.Class != elf.ELFCLASS64 {
		return nil, &FormatError{Path: b.Path, Msg: "relocations of " + s.Name + ": only x86-64 is supported"}
	}
	syms, _, entSize, ok := b.symTable(elf.SHT_SYMTAB)
	if !ok || int(rel.Link) >= len(b.elf.Sections) || b.elf.Sections[rel.Link].Type != elf.SHT_SYMTAB {
		return nil, &FormatError{Path: b.Path, Msg: "relocations of " + s.Name + " without a symbol table"}
	}
	bo := b.elf.ByteOrder
	out = append([]byte(nil), data...)
	rd := b.data[rel.Offset : rel.Offset+rel.FileSize]
	for off := 0; off+relaEntSize <= len(rd); off += relaEntSize {
		where := bo.Uint64(rd[off:])
		info := bo.Uint64(rd[off+8:])
		addend := int64(bo.Uint64(rd[off+16:]))
		typ, symNo := uint32(info), int(info>>32)
		if typ == rX8664None {
			continue
		}
		if symNo <= 0 || (symNo+1)*entSize > len(syms) {
			return nil, &FormatError{Path: b.Path, Msg: fmt.Sprintf("relocation of %s at %#x: symbol %d out of range", s.Name, where, symNo)}
		}
		e := syms[symNo*entSize:]
		val := b.symbolAddr(elf.SectionIndex(bo.Uint16(e[6:])), bo.Uint64(e[8:]))
		v := uint64(int64(val) + addend)
		if where > uint64(len(out)) {
			return nil, &FormatError{Path: b.Path, Msg: fmt.Sprintf("relocation of %s at %#x: past the section's end", s.Name, where)}
		}
		if err := put(bo, out[where:], typ, v, s.Addr+where); err != nil {
			return nil, &FormatError{Path: b.Path, Msg: fmt.Sprintf("relocation of %s at %#x: %v", s.Name, where, err)}
		}
	}
	return out, nil
}

// symbolAddr is where a symbol of an ET_REL file is: its value within its
// section plus where that section was placed.
func (b *Binary) symbolAddr(shndx elf.SectionIndex, value uint64) uint64 {
	switch {
	case shndx == elf.SHN_UNDEF:
		return 0
	case shndx == elf.SHN_ABS || shndx >= elf.SHN_LORESERVE:
		return value
	}
	base, _ := b.SectionAddr(shndx)
	return base + value
}

// put writes one relocated value of type typ at dst; pc is the address of
// dst, for PC-relative types.
func put(bo binary.ByteOrder, dst []byte, typ uint32, v, pc uint64) error {
	switch typ {
	case rX866464:
		if len(dst) < 8 {
			return fmt.Errorf("truncated")
		}
		bo.PutUint64(dst, v)
	case rX8664PC64:
		if len(dst) < 8 {
			return fmt.Errorf("truncated")
		}
		bo.PutUint64(dst, v-pc)
	case rX866432, rX866432S:
		if len(dst) < 4 {
			return fmt.Errorf("truncated")
		}
		bo.PutUint32(dst, uint32(v))
	case rX8664PC32:
		if len(dst) < 4 {
			return fmt.Errorf("truncated")
		}
		bo.PutUint32(dst, uint32(v-pc))
	default:
		return fmt.Errorf("relocation type %d not supported", typ)
	}
	return nil
}
