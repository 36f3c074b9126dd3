package symfile

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// symbol is one STT_FUNC entry of the generated .symtab.
type symbol struct {
	name       string
	addr, size uint64
}

// debugFile lays out a separate debug file the way `objcopy
// --only-keep-debug` does: the binary's ELF header fields, its program
// headers and every section header, allocated sections turned to NOBITS
// (so libdwfl computes the same load bias as for the binary and every
// symbol's st_shndx names a real section), the notes kept with their bytes
// (libdwfl accepts a debug file only when its GNU build-id note equals the
// binary's), then a .symtab, its .strtab and the section name table.
//
// Only ELF64 little-endian (amd64) binaries are written; the caller refuses
// the rest before we get here.
func debugFile(f *elf.File, r io.ReaderAt, syms []symbol, stamp string, sites []uint64, subs []Sub) ([]byte, error) {
	if f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB {
		return nil, fmt.Errorf("%w: %v %v", ErrUnsupported, f.Class, f.Data)
	}
	if len(f.Sections) == 0 || len(f.Sections) > int(elf.SHN_LORESERVE)-8 {
		return nil, fmt.Errorf("%w: %d section headers", ErrUnsupported, len(f.Sections))
	}
	var ehdr [64]byte
	if _, err := r.ReadAt(ehdr[:], 0); err != nil {
		return nil, fmt.Errorf("read ELF header: %w", err)
	}
	le := binary.LittleEndian
	phoff, phnum := le.Uint64(ehdr[32:]), int(le.Uint16(ehdr[56:]))
	phdrs := make([]byte, 56*phnum)
	if _, err := r.ReadAt(phdrs, int64(phoff)); err != nil {
		return nil, fmt.Errorf("read program headers: %w", err)
	}

	// Section names: the binary's, minus what we replace, plus ours.
	var shstr bytes.Buffer
	shstr.WriteByte(0)
	offs := map[string]uint32{}
	nameOff := func(s string) uint32 {
		if o, ok := offs[s]; ok {
			return o
		}
		o := uint32(shstr.Len())
		shstr.WriteString(s)
		shstr.WriteByte(0)
		offs[s] = o
		return o
	}

	type shdr struct {
		name                   uint32
		typ                    elf.SectionType
		flags, addr, off, size uint64
		link, info             uint32
		align, entsize         uint64
		data                   []byte // written at off when typ != NOBITS
	}
	var out bytes.Buffer
	out.Write(make([]byte, 64))
	out.Write(phdrs)
	shdrs := []shdr{{}}
	newIdx := make([]uint32, len(f.Sections)) // binary's section index -> ours, 0 when dropped
	type span struct {
		lo, hi uint64
		idx    int
	}
	var spans []span
	for i, s := range f.Sections[1:] {
		h := shdr{name: nameOff(s.Name), typ: s.Type, flags: uint64(s.Flags), addr: s.Addr, size: s.Size,
			link: s.Link, info: s.Info, align: s.Addralign, entsize: s.Entsize}
		switch {
		case s.Type == elf.SHT_NOTE:
			b, err := s.Data()
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", s.Name, err)
			}
			h.data = b
			if h.align > 8 { // notes are 4- or 8-aligned; more is hostile padding
				h.align = 8
			}
		case s.Flags&elf.SHF_ALLOC != 0:
			h.typ = elf.SHT_NOBITS
			if s.Flags&elf.SHF_EXECINSTR != 0 {
				spans = append(spans, span{s.Addr, s.Addr + s.Size, len(shdrs)})
			}
		default:
			// Non-allocated sections (a .symtab, DWARF, the debuglink)
			// are left out: ours replace them, and a debug file with a
			// .gnu_debuglink of its own would send libdwfl looking again.
			continue
		}
		newIdx[i+1] = uint32(len(shdrs))
		shdrs = append(shdrs, h)
	}
	for i := range shdrs[1:] {
		h := &shdrs[i+1]
		if int(h.link) < len(newIdx) {
			h.link = newIdx[h.link]
		}
		if h.flags&uint64(elf.SHF_INFO_LINK) != 0 && int(h.info) < len(newIdx) {
			h.info = newIdx[h.info]
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	textIdx := func(addr uint64) uint16 {
		i := sort.Search(len(spans), func(i int) bool { return spans[i].hi > addr })
		if i < len(spans) && spans[i].lo <= addr {
			return uint16(spans[i].idx)
		}
		return uint16(elf.SHN_ABS)
	}

	var strtab, symtab bytes.Buffer
	strtab.WriteByte(0)
	symtab.Write(make([]byte, 24))
	var ent [24]byte
	for _, s := range syms {
		le.PutUint32(ent[0:], uint32(strtab.Len()))
		strtab.WriteString(s.name)
		strtab.WriteByte(0)
		ent[4] = byte(elf.STB_GLOBAL)<<4 | byte(elf.STT_FUNC)
		ent[5] = 0
		le.PutUint16(ent[6:], textIdx(s.addr))
		le.PutUint64(ent[8:], s.addr)
		le.PutUint64(ent[16:], s.size)
		symtab.Write(ent[:])
	}
	// The stamp says which binary and format the file was made for, so a
	// later run can tell a reusable file from a stale one.
	shdrs = append(shdrs, shdr{name: nameOff(stampSection), typ: elf.SHT_PROGBITS, align: 1, data: []byte(stamp)})
	// The sites it names, so that a later run reads 8 bytes a site, not
	// every function's symbol, to tell whether it serves.
	list := make([]byte, 8*len(sites))
	for i, a := range sites {
		le.PutUint64(list[8*i:], a)
	}
	shdrs = append(shdrs, shdr{name: nameOff(sitesSection), typ: elf.SHT_PROGBITS, align: 8, data: list})
	if len(subs) > 0 {
		abbrev, info, loc, err := dwarfSections(subs)
		if err != nil {
			return nil, err
		}
		js, err := json.Marshal(subs)
		if err != nil {
			return nil, fmt.Errorf("symfile: %w", err)
		}
		shdrs = append(shdrs,
			shdr{name: nameOff(subsSection), typ: elf.SHT_PROGBITS, align: 1, data: js},
			shdr{name: nameOff(".debug_abbrev"), typ: elf.SHT_PROGBITS, align: 1, data: abbrev},
			shdr{name: nameOff(".debug_info"), typ: elf.SHT_PROGBITS, align: 1, data: info},
			shdr{name: nameOff(".debug_loc"), typ: elf.SHT_PROGBITS, align: 1, data: loc})
	}
	symIdx := len(shdrs)
	shdrs = append(shdrs,
		shdr{name: nameOff(".symtab"), typ: elf.SHT_SYMTAB, link: uint32(symIdx + 1), info: 1, align: 8, entsize: 24, data: symtab.Bytes()},
		shdr{name: nameOff(".strtab"), typ: elf.SHT_STRTAB, align: 1, data: strtab.Bytes()})
	shstrIdx := len(shdrs)
	shdrs = append(shdrs, shdr{name: nameOff(".shstrtab"), typ: elf.SHT_STRTAB, align: 1})
	shdrs[shstrIdx].data = shstr.Bytes()

	for i := range shdrs[1:] {
		h := &shdrs[i+1]
		if h.typ == elf.SHT_NOBITS {
			h.off = uint64(out.Len())
			continue
		}
		if h.data == nil {
			continue
		}
		if a := h.align; a > 1 {
			for uint64(out.Len())%a != 0 {
				out.WriteByte(0)
			}
		}
		h.off = uint64(out.Len())
		h.size = uint64(len(h.data))
		out.Write(h.data)
	}
	for out.Len()%8 != 0 {
		out.WriteByte(0)
	}
	shoff := uint64(out.Len())
	var sh [64]byte
	for _, h := range shdrs {
		le.PutUint32(sh[0:], h.name)
		le.PutUint32(sh[4:], uint32(h.typ))
		le.PutUint64(sh[8:], h.flags)
		le.PutUint64(sh[16:], h.addr)
		le.PutUint64(sh[24:], h.off)
		le.PutUint64(sh[32:], h.size)
		le.PutUint32(sh[40:], h.link)
		le.PutUint32(sh[44:], h.info)
		le.PutUint64(sh[48:], h.align)
		le.PutUint64(sh[56:], h.entsize)
		out.Write(sh[:])
	}

	b := out.Bytes()
	copy(b, ehdr[:])
	le.PutUint64(b[32:], 64) // program headers right after the ELF header
	le.PutUint64(b[40:], shoff)
	le.PutUint16(b[58:], 64)
	le.PutUint16(b[60:], uint16(len(shdrs)))
	le.PutUint16(b[62:], uint16(shstrIdx))
	return b, nil
}
