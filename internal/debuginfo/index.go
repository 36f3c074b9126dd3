// Package debuginfo turns a binary's DWARF into the model of model.go:
// functions with their parameters, types in SystemTap's spelling and a
// short description of where each value lives at entry.
//
// It is the only package that imports delve's pkg/dwarf. Function lookup
// by name avoids scanning the whole DWARF where it can: symbol table →
// address → .debug_aranges → one compilation unit → its top-level DIEs.
// Globs, inline-only functions and suggestions use a name index built by a
// top-level scan of every unit (about 1.5 s on a 587 MB vmlinux), which
// can be persisted by build-id (cache.go).
package debuginfo

import (
	"debug/dwarf"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/go-delve/delve/pkg/dwarf/godwarf"
	"github.com/go-delve/delve/pkg/dwarf/line"
	"github.com/stapgen/stapgen/internal/target"
)

// Options tune Open.
type Options struct {
	// NoCache disables reading and writing the persistent name index.
	NoCache bool
	// CacheDir overrides the cache directory ($XDG_CACHE_HOME/stapgen).
	CacheDir string
}

// Index answers function and type queries for one binary. Its methods
// are safe for concurrent use (they serialise on one lock: debug/dwarf
// readers race on DWARF 5 units' lazily computed offsets, and the type
// cache is a plain map).
type Index struct {
	bin  *target.Binary
	opts Options
	sec  *sections
	d    *dwarf.Data

	units     []unit
	unitByHdr map[dwarf.Offset]int
	meta      []*unitMeta // lazily read CU attributes, by unit index

	mu      sync.Mutex
	cuTab   cuTable
	cuTabOK bool
	names   *nameIndex
	syms    *target.Symtab
	abi0    map[uint64]bool // entry addresses of Go ABI0 wrappers
	types   *typeReader
	dbgAddr *godwarf.DebugAddrSection
	lines   map[int]*line.DebugLineInfo

	// GoProducer is the DW_AT_producer of the first Go unit
	// ("Go cmd/compile go1.26.8; regabi"), empty for C.
	GoProducer string
	// GoRegABI is true when the Go compiler used the register ABI
	// (ABIInternal); false means every argument is on the stack (ABI0).
	GoRegABI bool
}

// unitMeta is what a function needs from its compilation unit.
type unitMeta struct {
	lang         Lang
	lowPC        uint64
	compDir      string
	producer     string
	addrBase     uint64
	loclistsBase int64
	files        []string // line table file names, indexed by DW_AT_decl_file
	filesRead    bool
	entry        *dwarf.Entry
}

// Open reads the DWARF of b (or of its separate debuginfo file). It maps
// sections without copying them and parses only unit headers.
func Open(b *target.Binary) (*Index, error) { return OpenWith(b, Options{}) }

// OpenWith is Open with options.
func OpenWith(b *target.Binary, opts Options) (ix *Index, err error) {
	if err := b.RequireDWARF(); err != nil {
		return nil, err
	}
	sec, err := loadSections(b)
	if err != nil {
		return nil, err
	}
	path := b.DWARFFile().Path
	// The symbol table (about 50 ms on a vmlinux) loads while dwarf.New
	// parses unit headers and abbreviations (about 85 ms): 2 cores. We
	// wait for it on every path: the caller may unmap b once we return.
	symsDone := make(chan struct{})
	go func() {
		defer close(symsDone)
		b.Symbols()
	}()
	defer func() { <-symsDone }()
	d, err := sec.newData(path)
	if err != nil {
		return nil, err
	}
	units, err := readUnits(sec.info, sec.order)
	if err != nil && len(units) == 0 {
		return nil, fmt.Errorf("%s: corrupt DWARF: %w", path, err)
	}
	ix = &Index{bin: b, opts: opts, sec: sec, d: d, units: units, unitByHdr: map[dwarf.Offset]int{}}
	ix.meta = make([]*unitMeta, len(units))
	for i, u := range units {
		ix.unitByHdr[u.hdr] = i
	}
	ptr := 8
	if len(units) > 0 && units[0].addrSz > 0 {
		ptr = units[0].addrSz
	}
	ix.types = newTypeReader(d, ptr)
	ix.dbgAddr = sec.debugAddr()
	if b.Kind == target.KindGo {
		ix.findGoProducer()
	}
	return ix, nil
}

// Binary returns the binary the index was opened on.
func (ix *Index) Binary() *target.Binary { return ix.bin }

// findGoProducer reads the producer of the first Go unit; the runtime
// package units come first, so this is one or two DIE reads.
func (ix *Index) findGoProducer() {
	for i := range ix.units {
		m := ix.unitMeta(i)
		if m != nil && m.lang == LangGo {
			ix.GoProducer = m.producer
			ix.GoRegABI = strings.Contains(m.producer, "regabi")
			return
		}
		if i > 16 {
			return
		}
	}
}

const dwLangGo = 0x16

func (ix *Index) unitMeta(i int) *unitMeta {
	if i < 0 || i >= len(ix.units) {
		return nil
	}
	if m := ix.meta[i]; m != nil {
		return m
	}
	r := ix.d.Reader()
	r.Seek(ix.units[i].die)
	e, err := r.Next()
	if err != nil || e == nil {
		return nil
	}
	m := &unitMeta{entry: e, loclistsBase: -1}
	if l, _ := e.Val(dwarf.AttrLanguage).(int64); l == dwLangGo {
		m.lang = LangGo
	}
	m.lowPC, _ = e.Val(dwarf.AttrLowpc).(uint64)
	m.compDir, _ = e.Val(dwarf.AttrCompDir).(string)
	m.producer, _ = e.Val(dwarf.AttrProducer).(string)
	if v, ok := e.Val(dwarf.AttrAddrBase).(int64); ok {
		m.addrBase = uint64(v)
	}
	if v, ok := e.Val(dwarf.AttrLoclistsBase).(int64); ok {
		m.loclistsBase = v
	}
	ix.meta[i] = m
	return m
}

// unitOf returns the index of the unit containing the DIE at off.
func (ix *Index) unitOf(off dwarf.Offset) int {
	i := sort.Search(len(ix.units), func(i int) bool { return ix.units[i].end > off })
	if i < len(ix.units) && ix.units[i].hdr <= off {
		return i
	}
	return -1
}

// fileName returns the source file of DW_AT_decl_file n in unit i as the
// line table spells it (what stap prints: fs/namei.c in the Debian kernel,
// whose compilation directory is relative).
func (ix *Index) fileName(i int, n int64) string {
	m := ix.unitMeta(i)
	if m == nil {
		return ""
	}
	if !m.filesRead {
		m.filesRead = true
		func() {
			defer func() { recover() }()
			lr, err := ix.d.LineReader(m.entry)
			if err != nil || lr == nil {
				return
			}
			for _, f := range lr.Files() {
				name := ""
				if f != nil {
					name = f.Name
				}
				m.files = append(m.files, name)
			}
		}()
	}
	if n < 0 || n >= int64(len(m.files)) {
		return ""
	}
	return m.files[n]
}

// cuTable returns the address → unit table, from .debug_aranges when the
// binary has it, else from each unit's ranges (Go emits no aranges).
func (ix *Index) cuTable() cuTable {
	if ix.cuTabOK {
		return ix.cuTab
	}
	ix.cuTabOK = true
	if len(ix.sec.aranges) > 0 {
		t, err := parseAranges(ix.sec.aranges, ix.sec.order, ix.unitByHdr)
		if err == nil && len(t) > 0 {
			ix.cuTab = t
			return t
		}
	}
	var t cuTable
	for i := range ix.units {
		m := ix.unitMeta(i)
		if m == nil {
			continue
		}
		rs, err := ix.d.Ranges(m.entry)
		if err != nil {
			continue
		}
		for _, r := range rs {
			if r[1] > r[0] {
				t = append(t, addrRange{lo: r[0], hi: r[1], unit: int32(i)})
			}
		}
	}
	t.sort()
	ix.cuTab = t
	return t
}

func (ix *Index) symbols() *target.Symtab {
	if ix.syms == nil {
		st, err := ix.bin.Symbols()
		if err != nil || st == nil {
			st = &target.Symtab{}
		}
		ix.syms = st
		ix.abi0 = map[uint64]bool{}
		for _, s := range st.Funcs {
			if s.ABI0 {
				ix.abi0[s.Addr] = true
			}
		}
	}
	return ix.syms
}

// guard turns a panic from a DWARF parser (ours, debug/dwarf or delve's)
// on a corrupt file into an error.
func (ix *Index) guard(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: corrupt DWARF: %v", ix.bin.DWARFFile().Path, r)
	}
}

// Lookup returns the functions named exactly name: every out-of-line copy
// (static functions may share a name), or the inline-only abstract
// function when there is no copy. It fails with *NotFoundError.
func (ix *Index) Lookup(name string) (fns []*Function, err error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	defer ix.guard(&err)
	fns = ix.lookupBySymbol(name)
	if len(fns) == 0 {
		names, err := ix.nameIndex()
		if err != nil {
			return nil, err
		}
		fns = ix.functions(names.ByName[name])
	}
	if len(fns) == 0 {
		fns = ix.symbolOnly(name)
	}
	if len(fns) == 0 {
		return nil, &NotFoundError{Name: name, Near: ix.near(name)}
	}
	sortFunctions(fns)
	return fns, nil
}

// Match returns the functions whose names match any of the glob patterns
// (see glob.go), sorted by name. No match is a *NotFoundError.
func (ix *Index) Match(patterns ...string) (fns []*Function, err error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	defer ix.guard(&err)
	names, err := ix.nameIndex()
	if err != nil {
		return nil, err
	}
	var globs []glob
	for _, p := range patterns {
		globs = append(globs, compileGlob(p))
	}
	for _, n := range names.Names {
		for _, g := range globs {
			if g.match(n) {
				fns = append(fns, ix.functions(names.ByName[n])...)
				break
			}
		}
	}
	// Functions without DWARF (CRT, cgo glue, assembly) are probe-able by
	// symbol, as stap lists them; they come without types.
	for _, n := range ix.symbols().Names() {
		if _, ok := names.ByName[n]; ok {
			continue
		}
		for _, g := range globs {
			if g.match(n) {
				fns = append(fns, ix.symbolOnly(n)...)
				break
			}
		}
	}
	if len(fns) == 0 {
		q := strings.Join(patterns, " ")
		return nil, &NotFoundError{Name: q, Near: ix.near(strings.Trim(patterns[0], "*?"))}
	}
	sortFunctions(fns)
	return fns, nil
}

// Names returns the distinct function names matching any pattern, sorted,
// without building the functions: the cheap listing for huge inputs.
func (ix *Index) Names(patterns ...string) (out []string, err error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	defer ix.guard(&err)
	names, err := ix.nameIndex()
	if err != nil {
		return nil, err
	}
	var globs []glob
	for _, p := range patterns {
		globs = append(globs, compileGlob(p))
	}
	for _, n := range names.Names {
		for _, g := range globs {
			if g.match(n) {
				out = append(out, n)
				break
			}
		}
	}
	return out, nil
}

func sortFunctions(fns []*Function) {
	sort.SliceStable(fns, func(i, j int) bool {
		if fns[i].Name != fns[j].Name {
			return fns[i].Name < fns[j].Name
		}
		return fns[i].Entry < fns[j].Entry
	})
}

// lookupBySymbol is the fast path: symbol addresses → unit by aranges →
// the top-level DIE with that low_pc.
func (ix *Index) lookupBySymbol(name string) []*Function {
	st := ix.symbols()
	syms := st.Lookup(name)
	plain := false
	for _, s := range syms {
		plain = plain || !s.ABI0
	}
	for _, s := range st.Clones(name) {
		if !strings.Contains(s.Name, ".cold") { // a .cold part belongs to its parent's DIE
			syms = append(syms, s)
		}
	}
	tab := ix.cuTable()
	seen := map[dwarf.Offset]bool{}
	var out []*Function
	for _, s := range syms {
		if plain && s.ABI0 {
			continue // prefer the ABIInternal body over its ABI0 wrapper
		}
		u, ok := tab.find(s.Addr)
		if !ok {
			continue
		}
		off, ok := ix.scanUnitFor(u, s.Addr)
		if !ok || seen[off] {
			continue
		}
		seen[off] = true
		f, err := ix.function(funcRef{Off: off, Unit: int32(u), LowPC: s.Addr, Code: true})
		if err != nil || f.Name != name {
			continue
		}
		out = append(out, f)
	}
	return out
}

// scanUnitFor walks the top level of unit u (skipping children through
// DW_AT_sibling, without decoding them) for the subprogram entered at addr.
func (ix *Index) scanUnitFor(u int, addr uint64) (dwarf.Offset, bool) {
	r := ix.d.Reader()
	r.Seek(ix.units[u].die)
	cu, err := r.Next()
	if err != nil || cu == nil || !cu.Children {
		return 0, false
	}
	for {
		e, err := r.Next()
		if err != nil || e == nil || e.Tag == 0 {
			return 0, false
		}
		if e.Tag == dwarf.TagSubprogram {
			if lo, ok := e.Val(dwarf.AttrLowpc).(uint64); ok {
				if lo == addr {
					return e.Offset, true
				}
			} else if e.Val(dwarf.AttrRanges) != nil {
				if rs, err := ix.d.Ranges(e); err == nil && len(rs) > 0 {
					for _, rg := range rs {
						if rg[0] == addr {
							return e.Offset, true
						}
					}
				}
			}
		}
		if e.Children {
			r.SkipChildren()
		}
	}
}

// functions builds the functions of index refs, dropping Go ABI0 wrapper
// DIEs when the real body is also there.
func (ix *Index) functions(refs []funcRef) []*Function {
	ix.symbols()
	hasBody := false
	for _, r := range refs {
		hasBody = hasBody || (r.Code && !ix.abi0[r.LowPC])
	}
	var out []*Function
	for _, r := range refs {
		if hasBody && ix.abi0[r.LowPC] {
			continue
		}
		f, err := ix.function(r)
		if err != nil {
			continue
		}
		out = append(out, f)
	}
	return out
}

// symbolOnly returns the functions of the symbol table named name, for a
// name the DWARF does not know (NoTypes set). Clone symbols are listed
// under their own names (xmalloc.cold), as stap does.
func (ix *Index) symbolOnly(name string) []*Function {
	var out []*Function
	plain := false
	syms := ix.symbols().Lookup(name)
	for _, s := range syms {
		plain = plain || !s.ABI0
	}
	for _, s := range syms {
		if plain && s.ABI0 {
			continue
		}
		f := &Function{Name: name, Entry: s.Addr, End: s.Addr + s.Size, NoTypes: true}
		if ix.bin.Kind == target.KindGo && strings.Contains(name, ".") {
			f.Lang = LangGo
		}
		out = append(out, f)
	}
	return out
}

// Code returns the machine code of f (read-only; aliases the file mapping).
func (ix *Index) Code(f *Function) ([]byte, error) {
	if f.Inlined || f.End <= f.Entry {
		return nil, fmt.Errorf("%s: no out-of-line code", f.Name)
	}
	return ix.bin.ReadAt(f.Entry, int(f.End-f.Entry))
}
