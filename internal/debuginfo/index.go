// Package debuginfo turns a binary's DWARF into the model of model.go:
// functions with their parameters, types in SystemTap's spelling and a
// short description of where each value lives at entry.
//
// It is the only package that imports delve's pkg/dwarf. Function lookup
// by name avoids scanning the whole DWARF where it can: symbol table →
// address → .debug_aranges → one compilation unit, read on its own
// (view.go) → its top-level DIEs.
// Globs, inline-only functions and suggestions use a name index built by a
// top-level scan of every unit (about 1.5 s on a 587 MB vmlinux), which
// can be persisted by build-id (cache.go).
package debuginfo

import (
	"debug/dwarf"
	"fmt"
	"sort"
	"sync"

	"github.com/go-delve/delve/pkg/dwarf/godwarf"
	"github.com/go-delve/delve/pkg/dwarf/line"
	"github.com/stapgen/stapgen/internal/goruntime"
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
	path string // the file holding the DWARF
	// d is the reader over all of .debug_info, built by full() when a
	// query needs every unit; lookups by symbol read single units.
	d        *dwarf.Data
	fullView *view
	views    map[int]*view // the view each unit is read through
	noSplit  map[int]bool  // units that must be read through the full view
	shared   map[string]*Type
	ptrSize  int

	units     []unit
	unitByHdr map[dwarf.Offset]int
	meta      []*unitMeta // lazily read CU attributes, by unit index

	mu      sync.Mutex
	cuTab   cuTable
	cuTabOK bool
	names   *nameIndex
	syms    *target.Symtab
	symOnly []string        // symbol names without DWARF, sorted
	abi0    map[uint64]bool // entry addresses of Go ABI0 wrappers
	types   *typeReader
	dbgAddr *godwarf.DebugAddrSection
	lines   map[int]*line.DebugLineInfo
	lineStr []byte // private copy of .debug_line_str for delve's parser
	rows    map[int][]lineRow

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
	entry        *dwarf.Entry // read through view
	view         *view
	unit         int
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
	// The symbol table is not built here: a lookup by exact name scans
	// the symbol entries for it (target.SymbolsNamed), and only globs and
	// suggestions need the whole table.
	units, err := openUnits(b, opts, sec.info, sec.order)
	if err != nil && len(units) == 0 {
		return nil, fmt.Errorf("%s: corrupt DWARF: %w", path, err)
	}
	ix = &Index{bin: b, opts: opts, sec: sec, path: path, units: units, unitByHdr: map[dwarf.Offset]int{},
		views: map[int]*view{}, noSplit: map[int]bool{}, shared: map[string]*Type{}}
	ix.meta = make([]*unitMeta, len(units))
	for i, u := range units {
		ix.unitByHdr[u.hdr] = i
	}
	ix.ptrSize = 8
	if len(units) > 0 && units[0].addrSz > 0 {
		ix.ptrSize = units[0].addrSz
	}
	if len(units) == 0 {
		return nil, fmt.Errorf("%s: no compilation units in .debug_info", path)
	}
	if _, err := ix.viewOf(0); err != nil {
		return nil, err // corrupt header or abbreviations: say so now
	}
	ix.dbgAddr = sec.debugAddr()
	if b.Kind == target.KindGo {
		ix.findGoProducer()
	}
	return ix, nil
}

// alive reports whether the binary is still mapped (lazy reads check it).
func (ix *Index) alive() bool { return !ix.bin.Closed() }

// Binary returns the binary the index was opened on.
func (ix *Index) Binary() *target.Binary { return ix.bin }

// findGoProducer reads the producer of the first Go unit; the runtime
// package units come first, so this is one or two DIE reads.
func (ix *Index) findGoProducer() {
	for i := range ix.units {
		m := ix.unitMeta(i)
		if m != nil && m.lang == LangGo {
			ix.GoProducer = m.producer
			ix.GoRegABI = goruntime.RegABI(m.producer)
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
	v, e, err := ix.unitEntry(i)
	if err != nil {
		return nil
	}
	m := &unitMeta{entry: e, view: v, unit: i, loclistsBase: -1}
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
			lr, err := m.view.d.LineReader(m.entry)
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
	// Every unit is needed: read them through one full view rather than
	// one reader per unit.
	if _, err := ix.full(); err != nil {
		return nil
	}
	var t cuTable
	for i := range ix.units {
		m := ix.unitMeta(i)
		if m == nil {
			continue
		}
		rs, err := m.view.d.Ranges(m.entry)
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
