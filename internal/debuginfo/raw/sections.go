package raw

import (
	"debug/dwarf"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/go-delve/delve/pkg/dwarf/godwarf"
	"github.com/stapgen/stapgen/internal/target"
)

// sections holds the raw DWARF sections of one file. Plain sections alias
// the file's read-only mapping; compressed ones were inflated once by
// target.Binary.Section.
type sections struct {
	info, abbrev, str, line, ranges, aranges []byte
	lineStr, rnglists, strOffsets, addr      []byte
	loc, loclists                            []byte
	order                                    binary.ByteOrder
}

func loadSections(b *target.Binary) (*sections, error) {
	f := b.DWARFFile()
	s := &sections{order: f.ELF().ByteOrder}
	want := []struct {
		name string
		dst  *[]byte
	}{
		{".debug_info", &s.info}, {".debug_abbrev", &s.abbrev}, {".debug_str", &s.str},
		{".debug_line", &s.line}, {".debug_ranges", &s.ranges}, {".debug_aranges", &s.aranges},
		{".debug_line_str", &s.lineStr}, {".debug_rnglists", &s.rnglists},
		{".debug_str_offsets", &s.strOffsets}, {".debug_addr", &s.addr},
		{".debug_loc", &s.loc}, {".debug_loclists", &s.loclists},
	}
	// Compressed sections (Go compresses its DWARF) inflate in parallel:
	// on 2 cores that halves the 150 ms a 20 MB Go binary costs.
	errs := make([]error, len(want))
	var wg sync.WaitGroup
	for i, x := range want {
		wg.Go(func() { *x.dst, errs[i] = f.Section(x.name) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err // the first: one line for the user
		}
	}
	if len(s.info) == 0 || len(s.abbrev) == 0 {
		if err := b.RequireDWARF(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s: empty .debug_info or .debug_abbrev", f.Path)
	}
	return s, nil
}

// newData builds a debug/dwarf reader over the sections without copying
// them (elf.File.DWARF would copy every .debug_* section: 500 MB for a
// vmlinux).
func (s *sections) newData(info []byte, path string) (d *dwarf.Data, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("%s: corrupt DWARF: %v", path, r)
		}
	}()
	d, err = dwarf.New(s.abbrev, nil, nil, info, s.line, nil, s.ranges, s.str)
	if err != nil {
		return nil, fmt.Errorf("%s: corrupt DWARF: %w", path, err)
	}
	for _, x := range []struct {
		name string
		data []byte
	}{
		{".debug_line_str", s.lineStr}, {".debug_rnglists", s.rnglists},
		{".debug_str_offsets", s.strOffsets}, {".debug_addr", s.addr},
	} {
		if len(x.data) == 0 {
			continue
		}
		if err := d.AddSection(x.name, x.data); err != nil {
			return nil, fmt.Errorf("%s: corrupt DWARF section %s: %w", path, x.name, err)
		}
	}
	return d, nil
}

// debugAddr returns delve's view of .debug_addr for loclist decoding, or
// nil when the binary has none (GCC 12 vmlinux).
func (s *sections) debugAddr() (a *godwarf.DebugAddrSection) {
	if len(s.addr) < 8 {
		return nil
	}
	defer func() {
		if recover() != nil {
			a = nil
		}
	}()
	return godwarf.ParseAddr(s.addr)
}
