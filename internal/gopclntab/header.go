package gopclntab

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
)

// format is the function table's layout, named by its header magic.
type format int

const (
	go116 format = iota + 1 // 0xfffffffa: Go 1.16-1.17, absolute entry PCs
	go118                   // 0xfffffff0: Go 1.18-1.19, entries relative to runtime.text
	go120                   // 0xfffffff1: Go 1.20 and later
)

func (f format) String() string {
	switch f {
	case go116:
		return "go1.16"
	case go118:
		return "go1.18"
	case go120:
		return "go1.20"
	}
	return "unknown"
}

var magics = map[uint32]format{0xfffffffa: go116, 0xfffffff0: go118, 0xfffffff1: go120}

// header is the part of runtime.pcHeader that locating and validating need.
type header struct {
	addr   uint64 // virtual address of the header
	format format
	nfunc  uint64
	// offs are the offsets from the header of funcnametab, cutab, filetab,
	// pctab and pclntable, in that order.
	offs [5]uint64
}

// parseHeader accepts b (the bytes from addr on) as a pcHeader only when it
// looks like one this reader understands: amd64's instruction quantum 1,
// 8-byte pointers, zero padding, and table offsets that increase and stay
// inside b. Random data that happens to hold a magic fails these.
func parseHeader(b []byte, addr uint64) (header, bool) {
	if len(b) < 72 {
		return header{}, false
	}
	h := header{addr: addr, format: magics[binary.LittleEndian.Uint32(b)]}
	if h.format == 0 || b[4] != 0 || b[5] != 0 || b[6] != 1 || b[7] != 8 {
		return header{}, false
	}
	h.nfunc = word(b, 8)
	first := uint64(24) // Go 1.16-1.17 have no textStart word
	if h.format != go116 {
		first = 32
	}
	prev := first + 5*8 - 1
	for i := range h.offs {
		h.offs[i] = word(b, first+uint64(i)*8)
		if h.offs[i] <= prev || h.offs[i] >= uint64(len(b)) {
			return header{}, false
		}
		prev = h.offs[i]
	}
	if h.nfunc == 0 || h.nfunc > uint64(len(b))/8 {
		return header{}, false
	}
	return h, true
}

// candidate is a possible function table: its header and its bytes up to
// the end of the section holding it.
type candidate struct {
	h       header
	data    []byte
	section bool // found by its own section, not by a scan
}

// tableSections are the sections Go's linkers give the table its own name.
var tableSections = []string{".gopclntab", ".data.rel.ro.gopclntab"}

// candidates lists the function tables of the file: its named section
// when there is one; otherwise every well-formed header in a read-only
// data section (Debian's Go 1.18-1.19 PIE builds link the table into
// .data.rel.ro with no section of its own).
func candidates(m *image) []candidate {
	for _, name := range tableSections {
		if m.noTableSection {
			break
		}
		d, ok := m.named(name)
		if !ok {
			continue
		}
		s := m.f.Section(name)
		if h, ok := parseHeader(d, s.Addr); ok {
			return []candidate{{h: h, data: d, section: true}}
		}
	}
	var out []candidate
	for _, s := range m.secs {
		if s.Flags&elf.SHF_EXECINSTR != 0 || s.Type != elf.SHT_PROGBITS || s.Size > maxRead || s.Size < 72 {
			continue
		}
		d, err := m.data(s)
		if err != nil {
			continue
		}
		// One pass for every format: the magics differ only in their
		// first byte, and amd64's header continues 00 00 01 08.
		const tail = "\xff\xff\xff\x00\x00\x01\x08"
		for off := 0; ; {
			i := bytes.Index(d[off:], []byte(tail))
			if i < 0 {
				break
			}
			at := off + i - 1
			off += i + 1
			if at < 0 || at%8 != 0 { // the runtime's pcHeader is pointer-aligned
				continue
			}
			if h, ok := parseHeader(d[at:], s.Addr+uint64(at)); ok {
				out = append(out, candidate{h: h, data: d[at:]})
			}
		}
	}
	return out
}
