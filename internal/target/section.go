package target

import (
	"bytes"
	"compress/zlib"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"sync"
)

// ReadAt reads n bytes of the loaded image at link-time virtual address
// vaddr (for disassembly). The bytes alias the mapping: do not modify them.
func (b *Binary) ReadAt(vaddr uint64, n int) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("read %#x: negative length", vaddr)
	}
	for _, s := range b.elf.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Type == elf.SHT_NOBITS || s.Flags&elf.SHF_COMPRESSED != 0 {
			continue
		}
		if vaddr >= s.Addr && vaddr-s.Addr < s.FileSize {
			off := vaddr - s.Addr
			if uint64(n) > s.FileSize-off {
				return nil, fmt.Errorf("read %#x+%d: crosses the end of section %s", vaddr, n, s.Name)
			}
			return b.data[s.Offset+off : s.Offset+off+uint64(n)], nil
		}
	}
	return nil, fmt.Errorf("read %#x: address not in any loaded section of %s", vaddr, b.Path)
}

// maxDecompressed bounds what a compressed section may claim to inflate
// to, so a hostile header cannot make us allocate without limit.
const maxDecompressed = 2 << 30

// Section returns the bytes of the named section: a slice of the mapping
// when stored plainly, or its decompressed contents (computed once) when
// SHF_COMPRESSED. It returns nil, nil when the section is absent. Callers
// must not modify the result.
//
// Old GNU-style compressed debug sections (.zdebug_info: "ZLIB", a
// big-endian size, a zlib stream) are found under their .debug_ name.
func (b *Binary) Section(name string) (data []byte, err error) {
	s := b.elf.Section(name)
	gnu := false
	if s == nil && strings.HasPrefix(name, ".debug_") {
		s, gnu = b.elf.Section(".zdebug_"+strings.TrimPrefix(name, ".debug_")), true
	}
	if s == nil || s.Type == elf.SHT_NOBITS {
		return nil, nil
	}
	raw := b.data[s.Offset : s.Offset+s.FileSize]
	var rel *elf.Section
	if b.Relocatable() && s.Flags&elf.SHF_ALLOC == 0 {
		rel = b.relocationsOf(s)
	}
	if s.Flags&elf.SHF_COMPRESSED == 0 && !gnu && rel == nil {
		return raw, nil
	}
	// Sections inflate once each, and different ones at the same time
	// (debuginfo asks for five at once: 200 ms of zlib on one core for a
	// 20 MB Go binary).
	b.mu.Lock()
	z := b.decomp[name]
	if z == nil {
		z = &inflated{}
		b.decomp[name] = z
	}
	b.mu.Unlock()
	z.once.Do(func() {
		z.data = raw
		if s.Flags&elf.SHF_COMPRESSED != 0 || gnu {
			z.data, z.err = b.inflate(s, raw, gnu)
		}
		// A module's DWARF points into its sections through relocations
		// (.rela.debug_info): without them every address is 0 and every
		// string offset is wrong.
		if z.err == nil && rel != nil {
			z.data, z.err = b.relocate(s, rel, z.data)
		}
	})
	return z.data, z.err
}

// inflated is one decompressed section, or why it could not be.
type inflated struct {
	once sync.Once
	data []byte
	err  error
}

func (b *Binary) inflate(s *elf.Section, raw []byte, gnu bool) (data []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			data, err = nil, &FormatError{Path: b.Path, Msg: fmt.Sprintf("section %s: %v", s.Name, r)}
		}
	}()
	var rd io.Reader
	size := s.Size
	if gnu {
		if len(raw) < 12 || string(raw[:4]) != "ZLIB" {
			return nil, &FormatError{Path: b.Path, Msg: fmt.Sprintf("section %s: bad ZLIB header", s.Name)}
		}
		size = binary.BigEndian.Uint64(raw[4:12])
		zr, err := zlib.NewReader(bytes.NewReader(raw[12:]))
		if err != nil {
			return nil, &FormatError{Path: b.Path, Msg: fmt.Sprintf("decompress %s: %v", s.Name, err)}
		}
		rd = zr
	} else {
		rd = s.Open()
	}
	if size > maxDecompressed || (s.FileSize > 0 && size/s.FileSize > 2000) {
		return nil, &FormatError{Path: b.Path, Msg: fmt.Sprintf("section %s claims %d uncompressed bytes", s.Name, size)}
	}
	// Reserve what a real section inflates to (2-5x) rather than the
	// claimed size, which a hostile header may inflate; the buffer grows
	// if the data really is that large.
	buf := bytes.NewBuffer(make([]byte, 0, min(size, 8*s.FileSize+4096)))
	if _, err := buf.ReadFrom(io.LimitReader(rd, int64(size))); err != nil {
		return nil, &FormatError{Path: b.Path, Msg: fmt.Sprintf("decompress %s: %v", s.Name, err)}
	}
	return buf.Bytes(), nil
}

// HasSection reports whether a section of that name exists.
func (b *Binary) HasSection(name string) bool { return b.elf.Section(name) != nil }
