package gopclntab

import "debug/elf"

// moduledata is what this package needs of runtime.moduledata, the
// runtime's own index of the binary: it points at the function table and
// holds runtime.text, the base of every entry offset since Go 1.18 (not
// the .text section's address: external linkers put C code first).
type moduledata struct {
	addr          uint64
	text, etext   uint64
	types, etypes uint64
}

// Offsets in moduledata on amd64. pcHeader, six slices, findfunctab,
// minpc and maxpc precede text in every layout since Go 1.16; types moved
// when Go 1.20 added covctrs and ecovctrs before it.
const (
	mdFuncnametab = 8
	mdText        = 176
	mdEtext       = 184
	mdSize        = 400 // enough to reach types in every layout
)

// typesRange reads types and etypes. Go 1.27 put typedesclen between them
// without changing the table's magic: etypes is then the second word after
// types, and the first is a length that fits the range. From Go 1.18 to
// 1.26 the word after etypes is rodata, the start of .rodata, at or below
// types; Go 1.16-1.17 have no rodata field.
func typesRange(m *image, b []byte, f format) (types, etypes uint64) {
	off := typesOffset(f)
	types = word(b, off)
	w1, w2 := word(b, off+8), word(b, off+16)
	s := m.section(types)
	if s == nil {
		return 0, 0
	}
	end := s.Addr + s.Size
	switch {
	case f == go116 && w1 > types && w1 <= end:
		return types, w1
	case w1 > types && w1 <= end && w2 <= types:
		return types, w1
	case w2 > types && w2 <= end && w1 <= w2-types:
		return types, w2
	}
	return 0, 0
}

func typesOffset(f format) uint64 {
	if f == go120 {
		return 296
	}
	return 280
}

// findModuledata finds the moduledata whose first word points at the
// table's header and whose funcnametab agrees with the header's offset:
// a chance match of both is implausible. In a PIE those words are
// relocations, so the search looks at relocation addends; otherwise at the
// data sections' words.
func findModuledata(m *image, h header) (*moduledata, bool) {
	var addrs []uint64
	if rs := m.relocs(); len(rs) > 0 {
		for _, r := range rs {
			if r.addend == h.addr && r.off%8 == 0 {
				addrs = append(addrs, r.off)
			}
		}
	} else {
		for _, name := range []string{".go.module", ".noptrdata", ".data", ".data.rel.ro"} {
			d, ok := m.named(name)
			if !ok {
				continue
			}
			s := m.f.Section(name)
			for i := uint64(0); i+8 <= uint64(len(d)); i += 8 {
				if word(d, i) == h.addr {
					addrs = append(addrs, s.Addr+i)
				}
			}
		}
	}
	for _, a := range addrs {
		b, err := m.read(a, mdSize)
		if err != nil {
			continue
		}
		md := &moduledata{addr: a, text: word(b, mdText), etext: word(b, mdEtext)}
		if word(b, 0) != h.addr || word(b, mdFuncnametab) != h.addr+h.offs[0] || md.text == 0 || md.etext <= md.text {
			continue
		}
		md.types, md.etypes = typesRange(m, b, h.format)
		if s := m.section(md.text); s == nil || s.Flags&elf.SHF_EXECINSTR == 0 {
			continue
		}
		return md, true
	}
	return nil, false
}
