package target

import (
	"bytes"
	"cmp"
	"debug/elf"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Symbol is one function symbol.
type Symbol struct {
	Name string
	Addr uint64
	Size uint64
	// ABI0 is set for Go assembly-ABI wrappers (ELF name suffix ".abi0");
	// Name then has the suffix removed.
	ABI0 bool
	// Clone is set for GCC clones (foo.isra.0, foo.cold); Name is then the
	// full symbol name and Base the source function.
	Clone bool
	Base  string
}

// Symtab indexes the FUNC symbols of a binary by name and address.
// Duplicates are kept: static C functions share names (jhash ×17 in a
// kernel), and Go ABI0 wrappers share the name of their target.
type Symtab struct {
	Funcs  []Symbol // sorted by address
	byName map[string][]int32
	byBase map[string][]int32
}

// cloneMarkers are the suffixes GCC and LLVM append to specialised or
// split copies of a function. SystemTap matches the base name for them.
var cloneMarkers = []string{".isra.", ".constprop.", ".part.", ".cold", ".lto_priv.", ".llvm."}

// BaseName strips a compiler clone suffix: "walk.isra.0" → "walk", true.
func BaseName(name string) (string, bool) {
	cut := -1
	for _, m := range cloneMarkers {
		i := strings.Index(name, m)
		if i <= 0 {
			continue
		}
		if m == ".cold" {
			rest := name[i+len(m):]
			if rest != "" && rest[0] != '.' {
				continue
			}
		}
		if cut < 0 || i < cut {
			cut = i
		}
	}
	if cut < 0 {
		return name, false
	}
	return name[:cut], true
}

// Symbols returns the function symbol table, built once: the file's
// .symtab, else the separate debuginfo file's .symtab (a stripped
// distribution binary keeps only .dynsym, its -dbg file has the rest),
// else the file's .dynsym.
func (b *Binary) Symbols() (*Symtab, error) {
	b.symOnce.Do(func() {
		b.syms, b.symErr = b.loadSymbols(false)
		if b.symErr != nil || len(b.syms.Funcs) > 0 {
			return
		}
		if b.Debug != nil {
			if ds, err := b.Debug.loadSymbols(false); err == nil && len(ds.Funcs) > 0 {
				b.syms = ds
				return
			}
		}
		b.syms, b.symErr = b.loadSymbols(true)
	})
	return b.syms, b.symErr
}

func (b *Binary) loadSymbols(dynamic bool) (st *Symtab, err error) {
	defer func() {
		if r := recover(); r != nil {
			st, err = nil, &FormatError{Path: b.Path, Msg: fmt.Sprintf("symbol table: %v", r)}
		}
	}()
	typ := elf.SHT_SYMTAB
	if dynamic {
		typ = elf.SHT_DYNSYM
	}
	return newSymtab(b.funcSymbols(typ), b.Kind), nil
}

// funcSymbols reads the FUNC symbols of the first section of type typ
// straight from the mapping. debug/elf's Symbols decodes and copies all
// 118,816 symbols of a vmlinux (about 50 ms); only the 46,000 functions
// matter here. No table is not an error: stripped binaries exist.
func (b *Binary) funcSymbols(typ elf.SectionType) []Symbol {
	var tab *elf.Section
	for _, s := range b.elf.Sections {
		if s.Type == typ {
			tab = s
			break
		}
	}
	if tab == nil || int(tab.Link) >= len(b.elf.Sections) {
		return nil
	}
	strs := b.elf.Sections[tab.Link]
	if strs.Type != elf.SHT_STRTAB {
		return nil
	}
	data := b.data[tab.Offset : tab.Offset+tab.FileSize]
	str := b.data[strs.Offset : strs.Offset+strs.FileSize]
	bo := b.elf.ByteOrder
	is64 := b.elf.Class == elf.ELFCLASS64
	size := 16
	if is64 {
		size = 24
	}
	out := make([]Symbol, 0, len(data)/size/2)
	for off := size; off+size <= len(data); off += size { // entry 0 is reserved
		e := data[off : off+size]
		var name uint32
		var info byte
		var shndx uint16
		var value, sz uint64
		if is64 {
			name, info, shndx = bo.Uint32(e), e[4], bo.Uint16(e[6:])
			value, sz = bo.Uint64(e[8:]), bo.Uint64(e[16:])
		} else {
			name, value, sz = bo.Uint32(e), uint64(bo.Uint32(e[4:])), uint64(bo.Uint32(e[8:]))
			info, shndx = e[12], bo.Uint16(e[14:])
		}
		if elf.ST_TYPE(info) != elf.STT_FUNC || value == 0 || elf.SectionIndex(shndx) == elf.SHN_UNDEF {
			continue
		}
		if int(name) >= len(str) {
			continue
		}
		n := str[name:]
		if k := bytes.IndexByte(n, 0); k >= 0 {
			n = n[:k]
		}
		out = append(out, Symbol{Name: string(n), Addr: value, Size: sz})
	}
	return out
}

func newSymtab(syms []Symbol, kind Kind) *Symtab {
	st := &Symtab{byName: make(map[string][]int32, len(syms)), byBase: map[string][]int32{}}
	for i := range syms {
		sym := &syms[i]
		if kind == KindGo {
			if n, ok := strings.CutSuffix(sym.Name, ".abi0"); ok {
				sym.Name, sym.ABI0 = n, true
			}
		} else if base, ok := BaseName(sym.Name); ok {
			sym.Clone, sym.Base = true, base
		}
	}
	// Sort by address, keeping table order among aliases; an index
	// permutation avoids moving 64-byte structs in a stable merge sort
	// (40 ms on a vmlinux).
	order := make([]int32, len(syms))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(syms[a].Addr, syms[b].Addr); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	st.Funcs = make([]Symbol, len(syms))
	for i, o := range order {
		st.Funcs[i] = syms[o]
	}
	for i, s := range st.Funcs {
		st.byName[s.Name] = append(st.byName[s.Name], int32(i))
		if s.Clone {
			st.byBase[s.Base] = append(st.byBase[s.Base], int32(i))
		}
	}
	return st
}

// Lookup returns every symbol with exactly this name (ABI0 wrappers
// included, marked), in address order.
func (st *Symtab) Lookup(name string) []Symbol {
	var out []Symbol
	for _, i := range st.byName[name] {
		out = append(out, st.Funcs[i])
	}
	return out
}

// Clones returns the compiler clones of base (base.isra.0, base.cold, ...).
func (st *Symtab) Clones(base string) []Symbol {
	var out []Symbol
	for _, i := range st.byBase[base] {
		out = append(out, st.Funcs[i])
	}
	return out
}

// Names returns the distinct function symbol names, sorted (clone bases
// are not added: use Clones).
func (st *Symtab) Names() []string {
	out := make([]string, 0, len(st.byName))
	for n := range st.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// At returns the function symbol containing addr (the last one starting at
// or before it whose size covers it; zero-size symbols match exactly).
func (st *Symtab) At(addr uint64) (Symbol, bool) {
	i := sort.Search(len(st.Funcs), func(i int) bool { return st.Funcs[i].Addr > addr }) - 1
	for ; i >= 0; i-- {
		s := st.Funcs[i]
		if s.Addr == addr || addr-s.Addr < s.Size {
			return s, true
		}
		if s.Size == 0 {
			continue // a label-like symbol; an enclosing one may precede it
		}
		break
	}
	return Symbol{}, false
}
