package target

import (
	"bytes"
	"cmp"
	"debug/elf"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/stapgen/stapgen/internal/goruntime"
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
	// Version is the symbol version of a versioned name, which Name then
	// lacks: glibc's debug file calls fopen "fopen@@GLIBC_2.2.5" (the
	// default version, what a program linking today gets).
	Version string
}

// Symtab indexes the FUNC symbols of a binary by name and address.
// Duplicates are kept: static C functions share names (jhash ×17 in a
// kernel), and Go ABI0 wrappers share the name of their target.
type Symtab struct {
	Funcs  []Symbol // sorted by address
	byName map[string][]int32
	byBase map[string][]int32

	namesOnce sync.Once
	names     []string
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
	var out []Symbol
	if data, _, entSize, ok := b.symTable(typ); ok {
		out = make([]Symbol, 0, len(data)/entSize/2) // about half are functions
	}
	b.eachFunc(typ, func(str []byte, value, size uint64) {
		out = append(out, Symbol{Name: string(cString(str)), Addr: value, Size: size})
	})
	return out
}

// symTable returns the entries and string table of the first symbol
// table of type typ, and the size of an entry.
func (b *Binary) symTable(typ elf.SectionType) (data, str []byte, entSize int, ok bool) {
	var tab *elf.Section
	for _, s := range b.elf.Sections {
		if s.Type == typ {
			tab = s
			break
		}
	}
	if tab == nil || int(tab.Link) >= len(b.elf.Sections) {
		return nil, nil, 0, false
	}
	strs := b.elf.Sections[tab.Link]
	if strs.Type != elf.SHT_STRTAB {
		return nil, nil, 0, false
	}
	entSize = 16
	if b.elf.Class == elf.ELFCLASS64 {
		entSize = 24
	}
	return b.data[tab.Offset : tab.Offset+tab.FileSize], b.data[strs.Offset : strs.Offset+strs.FileSize], entSize, true
}

// cString cuts b at its first NUL.
func cString(b []byte) []byte {
	if k := bytes.IndexByte(b, 0); k >= 0 {
		return b[:k]
	}
	return b
}

// eachFunc calls fn for every defined FUNC symbol of the first section of
// type typ, in table order, with the string table from the symbol's name
// on (it aliases the mapping; the name ends at the first NUL). Finding
// that NUL for every symbol is most of a scan's cost, so it is left to
// callers that want every name.
func (b *Binary) eachFunc(typ elf.SectionType, fn func(str []byte, value, size uint64)) {
	data, str, size, ok := b.symTable(typ)
	if !ok {
		return
	}
	bo := b.elf.ByteOrder
	rel := b.Relocatable()
	is64 := size == 24
	infoAt := 12
	if is64 {
		infoAt = 4
	}
	for off := size; off+size <= len(data); off += size { // entry 0 is reserved
		e := data[off : off+size]
		// Most entries are not functions: test the type byte before
		// decoding the rest through the byte-order interface.
		if elf.ST_TYPE(e[infoAt]) != elf.STT_FUNC {
			continue
		}
		var name uint32
		var shndx uint16
		var value, sz uint64
		if is64 {
			name, shndx = bo.Uint32(e), bo.Uint16(e[6:])
			value, sz = bo.Uint64(e[8:]), bo.Uint64(e[16:])
		} else {
			name, value, sz = bo.Uint32(e), uint64(bo.Uint32(e[4:])), uint64(bo.Uint32(e[8:]))
			shndx = bo.Uint16(e[14:])
		}
		if rel && elf.SectionIndex(shndx) != elf.SHN_UNDEF {
			value = b.symbolAddr(elf.SectionIndex(shndx), value)
		}
		if value == 0 || elf.SectionIndex(shndx) == elf.SHN_UNDEF {
			continue
		}
		if int(name) >= len(str) {
			continue
		}
		fn(str[name:], value, sz)
	}
}

// SymbolsNamed returns what Lookup(name) and Clones(name) return together
// (ABI0 wrappers marked, compiler clones of name included), from the table
// Symbols picks, in address order. For the first few names it scans the
// symbol entries instead of building the table: one function of a vmlinux
// then costs about 2 ms, not the 57 ms and 96,000 allocations of indexing
// 46,000 names nobody asked for (BenchmarkSymbolsNamedVmlinux,
// BenchmarkSymbolTableVmlinux).
func (b *Binary) SymbolsNamed(name string) ([]Symbol, error) {
	var out []Symbol
	if b.namedScans.Add(1) > maxNamedScans {
		st, err := b.Symbols()
		if err != nil {
			return nil, err
		}
		out = append(st.Lookup(name), st.Clones(name)...)
	} else {
		var any bool
		var err error
		out, any, err = b.scanNamed(name, elf.SHT_SYMTAB)
		if err == nil && !any && b.Debug != nil {
			var dout []Symbol
			if dout, any, err = b.Debug.scanNamed(name, elf.SHT_SYMTAB); err == nil && any {
				out = dout
			}
		}
		if err == nil && !any {
			out, _, err = b.scanNamed(name, elf.SHT_DYNSYM)
		}
		if err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(out, func(a, b Symbol) int { return cmp.Compare(a.Addr, b.Addr) })
	return out, nil
}

// maxNamedScans is where scanning stops paying: a scan of a vmlinux's
// .symtab costs about a twentieth of building the table, and a caller
// asking for many names will likely ask for more.
const maxNamedScans = 8

// scanNamed is SymbolsNamed over one table; any reports whether the table
// has function symbols at all (Symbols falls back to the next table when
// it has none).
func (b *Binary) scanNamed(name string, typ elf.SectionType) (out []Symbol, any bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &FormatError{Path: b.Path, Msg: fmt.Sprintf("symbol table: %v", r)}
		}
	}()
	b.eachFunc(typ, func(str []byte, value, size uint64) {
		any = true
		// Most symbols fail this first test; the few left are named the
		// way the table names them, and kept when that is name itself
		// (an ABI0 wrapper's too) or a clone of it (name.isra.0).
		if len(str) <= len(name) || string(str[:len(name)]) != name {
			return
		}
		sym := Symbol{Name: string(cString(str)), Addr: value, Size: size}
		sym.classify(b.Kind)
		if sym.Name == name || sym.Clone && sym.Base == name {
			out = append(out, sym)
		}
	})
	return out, any, nil
}

// classify turns a raw ELF name into the symbol's: a Go ABI0 wrapper
// loses its ".abi0" and is marked, a C compiler clone gets its base name.
func (sym *Symbol) classify(kind Kind) {
	if kind == KindGo {
		sym.Name, sym.ABI0 = goruntime.ABI0Name(sym.Name)
		return
	}
	if i := strings.Index(sym.Name, "@@"); i > 0 {
		// Only the default version loses its suffix: a compatibility one
		// (memcpy@GLIBC_2.2.5) is other code, which stap cannot spell
		// anyway ('@' starts the file part of a probe point).
		sym.Name, sym.Version = sym.Name[:i], sym.Name[i+2:]
	}
	if base, ok := BaseName(sym.Name); ok {
		sym.Clone, sym.Base = true, base
	}
}

func newSymtab(syms []Symbol, kind Kind) *Symtab {
	st := &Symtab{byName: make(map[string][]int32, len(syms)), byBase: map[string][]int32{}}
	for i := range syms {
		syms[i].classify(kind)
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
// are not added: use Clones). The slice is shared: do not modify it.
// It is sorted once: a gen of 100 Go functions matched each against the
// table, and sorting its 40,000 names every time was 70% of the run.
func (st *Symtab) Names() []string {
	st.namesOnce.Do(func() {
		st.names = make([]string, 0, len(st.byName))
		for n := range st.byName {
			st.names = append(st.names, n)
		}
		sort.Strings(st.names)
	})
	return st.names
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
