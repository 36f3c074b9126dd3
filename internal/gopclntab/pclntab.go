// Package gopclntab lists the functions of a Go binary from its .gopclntab,
// which survives stripping: names and address ranges, no types.
//
// debug/gosym needs the runtime.text address as its base, not the .text
// section's (they differ with external linking); it is read from the
// runtime's moduledata.
package gopclntab

import (
	"debug/elf"
	"debug/gosym"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Func is one function.
type Func struct {
	Name       string
	Entry, End uint64
}

// Table is the function table of a binary.
type Table struct {
	Funcs []Func
}

// ErrNoPclntab means the file has no Go function table.
var ErrNoPclntab = errors.New("no .gopclntab (not a Go binary?)")

// moduledata.text on amd64 for Go 1.18+: pcHeader, six slices, findfunctab,
// minpc, maxpc, then text.
const moduleTextOff = 176

// Read parses f's .gopclntab. Hostile input yields an error, not a panic.
func Read(f *elf.File) (t *Table, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("corrupt .gopclntab: %v", r)
		}
	}()
	sec := f.Section(".gopclntab")
	if sec == nil {
		sec = f.Section(".data.rel.ro.gopclntab")
	}
	if sec == nil || sec.Type == elf.SHT_NOBITS {
		return nil, ErrNoPclntab
	}
	if sec.Size > 1<<30 {
		return nil, errors.New(".gopclntab larger than 1 GiB")
	}
	data, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("read .gopclntab: %w", err)
	}
	lt := gosym.NewLineTable(data, runtimeText(f, sec.Addr))
	tab, err := gosym.NewTable(nil, lt)
	if err != nil {
		return nil, fmt.Errorf("parse .gopclntab: %w", err)
	}
	t = &Table{}
	for _, fn := range tab.Funcs {
		t.Funcs = append(t.Funcs, Func{Name: fn.Name, Entry: fn.Entry, End: fn.End})
	}
	return t, nil
}

// runtimeText finds runtime.text: in Go 1.26+ the moduledata has its own
// section (.go.module); before, it sits in .noptrdata and starts with the
// pclntab's address. The .text address is the last resort.
func runtimeText(f *elf.File, pclntab uint64) uint64 {
	word := func(b []byte, off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }
	if s := f.Section(".go.module"); s != nil && s.Size < 1<<20 {
		if d, err := s.Data(); err == nil && len(d) >= moduleTextOff+8 && word(d, 0) == pclntab {
			return word(d, moduleTextOff)
		}
	}
	if s := f.Section(".noptrdata"); s != nil && s.Size < 1<<28 {
		if d, err := s.Data(); err == nil {
			for i := 0; i+moduleTextOff+8 <= len(d); i += 8 {
				if word(d, i) == pclntab {
					return word(d, i+moduleTextOff)
				}
			}
		}
	}
	if s := f.Section(".text"); s != nil {
		return s.Addr
	}
	return 0
}

// Lookup returns the functions named name (ABI0 wrappers repeat names).
func (t *Table) Lookup(name string) []Func {
	var out []Func
	for _, f := range t.Funcs {
		if f.Name == name {
			out = append(out, f)
		}
	}
	return out
}

// goidOffsets are runtime.g.goid offsets read from the DWARF of binaries
// built by each toolchain, for stripped binaries that have no DWARF.
var goidOffsets = map[string]int64{"go1.26": 152, "go1.23": 160}

// GoidOffset returns the goid offset for a Go version ("go1.26.8").
func GoidOffset(goVersion string) (int64, bool) {
	v := goVersion
	if i := strings.IndexByte(v[min(len(v), 5):], '.'); i >= 0 && strings.HasPrefix(v, "go1.") {
		v = v[:5+i]
	}
	off, ok := goidOffsets[v]
	return off, ok
}
