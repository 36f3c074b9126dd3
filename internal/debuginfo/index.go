// Package debuginfo turns a binary's DWARF into the model of model.go:
// functions with their parameters, types in SystemTap's spelling and a
// short description of where each value lives at entry. Index is the one
// entry point; the machinery is in its subpackages, which data flows
// through one way:
//
//	raw        sections, unit table, aranges, line tables, location lists
//	           (the only package that imports delve)
//	nameindex  every function and type name, its cache, glob, similarity
//	dwtype     type DIE → Type
//
// Function lookup by name avoids scanning the whole DWARF where it can:
// symbol table → address → .debug_aranges → one compilation unit, read on
// its own → its top-level DIEs. Globs, inline-only functions and
// suggestions use the name index.
package debuginfo

import (
	"debug/dwarf"
	"fmt"
	"sync"

	"github.com/stapgen/stapgen/internal/debuginfo/dwtype"
	"github.com/stapgen/stapgen/internal/debuginfo/nameindex"
	"github.com/stapgen/stapgen/internal/debuginfo/raw"
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
// cache is a plain map). Once the binary is closed they fail with
// target.ErrClosed; what they returned before stays usable (nothing
// returned aliases the mapping).
type Index struct {
	bin   *target.Binary
	dw    *raw.File
	cache raw.Cache

	mu      sync.Mutex
	names   *nameindex.Index
	types   map[*raw.View]*dwtype.Reader // the type reader of each view
	shared  dwtype.Shared
	syms    *target.Symtab
	symOnly []string        // symbol names without DWARF, sorted
	abi0    map[uint64]bool // entry addresses of Go ABI0 wrappers
	// inlines are each unit's inlined copies by abstract origin, for Lines.
	inlines map[unitView]map[dwarf.Offset][]inlineHit

	// GoProducer is the DW_AT_producer of the first Go unit
	// ("Go cmd/compile go1.26.8; regabi"), empty for C.
	GoProducer string
	// GoRegABI is true when the Go compiler used the register ABI
	// (ABIInternal); false means every argument is on the stack (ABI0).
	GoRegABI bool
}

// Open reads the DWARF of b (or of its separate debuginfo file). It maps
// sections without copying them and parses only unit headers.
func Open(b *target.Binary) (*Index, error) { return OpenWith(b, Options{}) }

// OpenWith is Open with options.
func OpenWith(b *target.Binary, opts Options) (ix *Index, err error) {
	ix = &Index{bin: b, types: map[*raw.View]*dwtype.Reader{}, shared: dwtype.Shared{}}
	var openErr error
	err = b.Use(func() {
		defer func() {
			if r := recover(); r != nil {
				openErr = fmt.Errorf("%s: corrupt DWARF: %v", b.DWARFFile().Path, r)
			}
		}()
		// The symbol table is not built here: a lookup by exact name
		// scans the symbol entries for it (target.SymbolsNamed), and only
		// globs and suggestions need the whole table.
		ix.cache = raw.NewCache(b, opts.NoCache, opts.CacheDir)
		ix.dw, openErr = raw.Open(b, ix.cache)
		if openErr == nil && b.Kind == target.KindGo {
			ix.findGoProducer()
		}
	})
	if err == nil {
		err = openErr
	}
	if err != nil {
		return nil, err
	}
	return ix, nil
}

// do runs a query: under the lock, with the mapping pinned, and with a
// panic from a DWARF parser (ours, debug/dwarf or delve's) on a corrupt
// file turned into an error.
func (ix *Index) do(q func() error) (err error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if uerr := ix.bin.Use(func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%s: corrupt DWARF: %v", ix.dw.Path, r)
			}
		}()
		err = q()
	}); uerr != nil {
		return fmt.Errorf("%s: %w", ix.dw.Path, uerr)
	}
	return err
}

// Binary returns the binary the index was opened on.
func (ix *Index) Binary() *target.Binary { return ix.bin }

// CachePath reports where the name index of this binary is (or would be)
// persisted, for `--no-cache` diagnostics; "" when caching is off.
func (ix *Index) CachePath() string { return nameindex.CachePath(ix.cache) }

// findGoProducer reads the producer of the first Go unit; the runtime
// package units come first, so this is one or two DIE reads.
func (ix *Index) findGoProducer() {
	for i := range ix.dw.Units {
		m := ix.dw.Meta(i)
		if m != nil && m.Go {
			ix.GoProducer = m.Producer
			ix.GoRegABI = goruntime.RegABI(m.Producer)
			return
		}
		if i > 16 {
			return
		}
	}
}

// lang is the model's name for a unit's language.
func lang(m *raw.UnitMeta) Lang {
	if m != nil && m.Go {
		return LangGo
	}
	return LangC
}

// typesOf returns the type reader of view v, made on first use.
func (ix *Index) typesOf(v *raw.View) *dwtype.Reader {
	tr, ok := ix.types[v]
	if !ok {
		tr = dwtype.NewReader(v.D, ix.dw.PtrSize, ix.shared, &ix.mu, ix.bin.Use)
		ix.types[v] = tr
	}
	return tr
}

// nameIndex returns the full index, loading it from the cache or building
// it with one top-level scan of every unit.
func (ix *Index) nameIndex() *nameindex.Index {
	if ix.names != nil {
		return ix.names
	}
	if n := nameindex.Load(ix.cache, len(ix.dw.Units)); n != nil {
		ix.names = n
		return n
	}
	ix.names = nameindex.Scan(ix.dw)
	ix.names.Save(ix.cache, len(ix.dw.Units))
	return ix.names
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
