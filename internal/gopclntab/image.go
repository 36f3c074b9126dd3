package gopclntab

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"sort"
)

// image reads a binary's loaded bytes by virtual address, as the dynamic
// loader would leave them. In a PIE every pointer word of the moduledata
// and of the type metadata is zero in the file: the loader fills it from an
// R_X86_64_RELATIVE relocation (value = load base + addend; the base is 0
// at link-time addresses), so reads that need pointers apply them.
type image struct {
	f    *elf.File
	secs []*elf.Section // allocated sections with file bytes
	// file is the whole file when the caller has it mapped: sections are
	// then sliced, not copied (dockerd's table scan reads 27 MB).
	file []byte

	// noTableSection makes the search ignore the table's own section, so
	// tests can run the header scan on binaries that have one.
	noTableSection bool

	relsRead bool
	rels     []rel // R_X86_64_RELATIVE, sorted by offset
}

type rel struct{ off, addend uint64 }

const rX8664Relative = 8

// maxRead bounds one read, so a hostile header cannot make us allocate
// without limit (dockerd's whole .data.rel.ro is 27 MB).
const maxRead = 1 << 30

func newImage(f *elf.File, file []byte) *image {
	m := &image{f: f, file: file}
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 && s.Type != elf.SHT_NOBITS && s.Flags&elf.SHF_COMPRESSED == 0 {
			m.secs = append(m.secs, s)
		}
	}
	return m
}

// section is the allocated section holding vaddr, or nil.
func (m *image) section(vaddr uint64) *elf.Section {
	for _, s := range m.secs {
		if vaddr >= s.Addr && vaddr-s.Addr < s.Size {
			return s
		}
	}
	return nil
}

// data is a section's file bytes. Callers must not modify them: they may
// alias the caller's mapping.
// named is the bytes of the section called name, false when there is none
// with contents this reader takes.
func (m *image) named(name string) ([]byte, bool) {
	s := m.f.Section(name)
	if s == nil || s.Type == elf.SHT_NOBITS || s.Size > maxRead {
		return nil, false
	}
	d, err := m.data(s)
	return d, err == nil
}

func (m *image) data(s *elf.Section) ([]byte, error) {
	if s.Size > maxRead {
		return nil, fmt.Errorf("section %s: %d bytes: %w", s.Name, s.Size, errNotMapped)
	}
	if m.file != nil {
		if s.Offset > uint64(len(m.file)) || s.FileSize > uint64(len(m.file))-s.Offset {
			return nil, fmt.Errorf("section %s past the end of the file: %w", s.Name, errNotMapped)
		}
		return m.file[s.Offset : s.Offset+s.FileSize], nil
	}
	return s.Data()
}

// raw is n file bytes at vaddr, without relocations: enough for byte
// strings and offsets, which need none. Do not modify them.
func (m *image) raw(vaddr, n uint64) ([]byte, error) {
	s := m.section(vaddr)
	if s == nil {
		return nil, fmt.Errorf("address %#x: %w", vaddr, errNotMapped)
	}
	if n > maxRead || n > s.Size-(vaddr-s.Addr) {
		return nil, fmt.Errorf("read %#x+%d: crosses the end of %s: %w", vaddr, n, s.Name, errNotMapped)
	}
	d, err := m.data(s)
	if err != nil {
		return nil, err
	}
	off := vaddr - s.Addr
	if n > uint64(len(d)) || off > uint64(len(d))-n {
		return nil, fmt.Errorf("read %#x+%d: past the file bytes of %s: %w", vaddr, n, s.Name, errNotMapped)
	}
	return d[off : off+n], nil
}

// read is a copy of raw with the relative relocations inside
// [vaddr, vaddr+n) applied.
func (m *image) read(vaddr, n uint64) ([]byte, error) {
	r, err := m.raw(vaddr, n)
	if err != nil {
		return nil, err
	}
	b := append([]byte(nil), r...)
	rs := m.relocs()
	i := sort.Search(len(rs), func(i int) bool { return rs[i].off >= vaddr })
	for ; i < len(rs) && rs[i].off+8 <= vaddr+n; i++ {
		binary.LittleEndian.PutUint64(b[rs[i].off-vaddr:], rs[i].addend)
	}
	return b, nil
}

// relocs parses the relative relocations once. Other kinds (symbol
// relocations against libc) never point into Go's own tables.
func (m *image) relocs() []rel {
	if m.relsRead {
		return m.rels
	}
	m.relsRead = true
	if m.f.Type != elf.ET_DYN {
		return nil
	}
	for _, s := range m.f.Sections {
		if s.Type != elf.SHT_RELA || s.Flags&elf.SHF_ALLOC == 0 {
			continue
		}
		d, err := m.data(s)
		if err != nil {
			continue
		}
		for ; len(d) >= 24; d = d[24:] {
			if uint32(binary.LittleEndian.Uint64(d[8:])) == rX8664Relative {
				m.rels = append(m.rels, rel{binary.LittleEndian.Uint64(d), binary.LittleEndian.Uint64(d[16:])})
			}
		}
	}
	sort.Slice(m.rels, func(i, j int) bool { return m.rels[i].off < m.rels[j].off })
	return m.rels
}

// word is the little-endian pointer-sized word at off of b, 0 past its end.
func word(b []byte, off uint64) uint64 {
	if off > uint64(len(b)) || uint64(len(b))-off < 8 {
		return 0
	}
	return binary.LittleEndian.Uint64(b[off:])
}
