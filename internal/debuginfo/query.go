package debuginfo

import (
	"bytes"
	"debug/dwarf"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo/nameindex"
	"github.com/stapgen/stapgen/internal/goruntime"
	"github.com/stapgen/stapgen/internal/target"
)

// Lookup returns the functions named exactly name: every out-of-line copy
// (static functions may share a name), or the inline-only abstract
// function when there is no copy. It fails with *NotFoundError.
func (ix *Index) Lookup(name string) (fns []*Function, err error) {
	err = ix.do(func() error {
		fns = ix.lookupBySymbol(name)
		if len(fns) == 0 {
			fns = ix.functions(ix.nameIndex().ByName[name])
		}
		if len(fns) == 0 {
			fns = ix.symbolOnly(name)
		}
		if len(fns) == 0 {
			return &NotFoundError{Name: name, Near: ix.near(name)}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortFunctions(fns)
	return fns, nil
}

// Match returns the functions whose names match any of the glob patterns
// (see glob.go), sorted by name. No match is a *NotFoundError.
func (ix *Index) Match(patterns ...string) (fns []*Function, err error) {
	var globs []Glob
	var lits []string
	for _, p := range patterns {
		g := CompileGlob(p)
		globs = append(globs, g)
		if n, ok := g.Literal(); ok {
			lits = append(lits, n)
		}
	}
	err = ix.do(func() error {
		names := ix.nameIndex()
		if len(lits) == len(globs) {
			fns = ix.matchExact(names, lits)
		} else {
			fns = ix.matchScan(names, globs)
		}
		if len(fns) == 0 {
			q := strings.Join(patterns, " ")
			return &NotFoundError{Name: q, Near: ix.near(strings.Trim(patterns[0], "*?"))}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortFunctions(fns)
	return fns, nil
}

// matchExact is Match for patterns without wildcards, which need no pass
// over every name: gen resolves each function it is given through Match,
// 100 passes over 40,000 names for 100 functions.
func (ix *Index) matchExact(names *nameindex.Index, lits []string) []*Function {
	var fns []*Function
	seen := map[string]bool{}
	for _, n := range lits {
		if seen[n] {
			continue
		}
		seen[n] = true
		if refs, ok := names.ByName[n]; ok {
			fns = append(fns, ix.functions(refs)...)
		} else {
			fns = append(fns, ix.symbolOnly(n)...)
		}
	}
	return fns
}

// matchScan is Match for globs: every DWARF name, then every symbol the
// DWARF does not know.
func (ix *Index) matchScan(names *nameindex.Index, globs []Glob) []*Function {
	var fns []*Function
	for _, n := range names.Names {
		for _, g := range globs {
			if g.Match(n) {
				fns = append(fns, ix.functions(names.ByName[n])...)
				break
			}
		}
	}
	have := map[uint64]bool{}
	for _, f := range fns {
		have[f.Entry] = true
	}
	for _, n := range ix.symbolOnlyNames(names) {
		for _, g := range globs {
			if g.Match(n) {
				for _, f := range ix.symbolOnly(n) {
					// Another symbol of a function matched by its DWARF
					// name (a C++ constructor's C1/C2, glibc's malloc)
					// is listed once.
					if f.NoTypes || !have[f.Entry] {
						have[f.Entry] = true
						fns = append(fns, f)
					}
				}
				break
			}
		}
	}
	return fns
}

// symbolOnlyNames are the function symbols the DWARF does not know (CRT,
// cgo glue, assembly): probe-able by symbol, as stap lists them, without
// types. Computed once per index.
func (ix *Index) symbolOnlyNames(names *nameindex.Index) []string {
	if ix.symOnly == nil {
		ix.symOnly = []string{}
		for _, n := range ix.symbols().Names() {
			if _, ok := names.ByName[n]; !ok && names.Linkage[n] == "" {
				ix.symOnly = append(ix.symOnly, n)
			}
		}
	}
	return ix.symOnly
}

// Names returns the distinct function names matching any pattern, sorted,
// without building the functions: the cheap listing for huge inputs.
func (ix *Index) Names(patterns ...string) (out []string, err error) {
	var globs []Glob
	for _, p := range patterns {
		globs = append(globs, CompileGlob(p))
	}
	err = ix.do(func() error {
		for _, n := range ix.nameIndex().Names {
			for _, g := range globs {
				if g.Match(n) {
					out = append(out, n)
					break
				}
			}
		}
		return nil
	})
	return out, err
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
	all, _ := ix.bin.SymbolsNamed(name)
	var syms []target.Symbol
	for _, s := range all {
		if s.Clone && s.Name != name && strings.Contains(s.Name, ".cold") {
			continue // a .cold part belongs to its parent's DIE
		}
		syms = append(syms, s)
	}
	syms = goruntime.PreferBodies(syms, symbolRole)
	if len(syms) == 0 {
		return nil
	}
	seen := map[dwarf.Offset]bool{}
	var out []*Function
	for _, s := range syms {
		u, ok := ix.dw.UnitAt(s.Addr)
		if !ok {
			continue
		}
		off, ok := ix.scanUnitFor(u, s.Addr)
		if !ok || seen[off] {
			continue
		}
		seen[off] = true
		f, err := ix.function(nameindex.Ref{Off: off, Unit: int32(u), LowPC: s.Addr, Code: true})
		if err != nil {
			continue
		}
		if f.Name != name && f.LinkageName != name {
			if s.Clone {
				continue // xmalloc.cold is a part of xmalloc, listed as itself
			}
			// Another name of the same code (glibc's malloc is
			// __libc_malloc): the DWARF's function, found by its alias.
			f.Symbol = name
		}
		out = append(out, f)
	}
	return out
}

// scanUnitFor walks the top level of unit u (skipping children through
// DW_AT_sibling, without decoding them) for the subprogram entered at addr.
func (ix *Index) scanUnitFor(u int, addr uint64) (dwarf.Offset, bool) {
	v, cu, err := ix.dw.UnitEntry(u)
	if err != nil || !cu.Children {
		return 0, false
	}
	r := v.D.Reader()
	r.Seek(cu.Offset)
	r.Next()
	for {
		e, err := r.Next()
		if err != nil || e == nil || e.Tag == 0 {
			return 0, false
		}
		if e.Tag == dwarf.TagSubprogram {
			if lo, ok := e.Val(dwarf.AttrLowpc).(uint64); ok {
				if lo == addr {
					return v.Global(e.Offset), true
				}
			} else if e.Val(dwarf.AttrRanges) != nil {
				if rs, err := v.D.Ranges(e); err == nil && len(rs) > 0 {
					for _, rg := range rs {
						if rg[0] == addr {
							return v.Global(e.Offset), true
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

// symbolRole tells Go's ABI0 wrappers from the other symbols of a name.
func symbolRole(s target.Symbol) goruntime.Role {
	if s.ABI0 {
		return goruntime.Wrapper
	}
	return goruntime.Body
}

// functions builds the functions of index refs, dropping Go ABI0 wrapper
// DIEs when the real body is also there.
func (ix *Index) functions(refs []nameindex.Ref) []*Function {
	ix.symbols()
	refs = goruntime.PreferBodies(slices.Clone(refs), func(r nameindex.Ref) goruntime.Role {
		switch {
		case ix.abi0[r.LowPC]:
			return goruntime.Wrapper
		case r.Code:
			return goruntime.Body
		}
		return goruntime.Other
	})
	var out []*Function
	for _, r := range refs {
		f, err := ix.function(r)
		if err != nil {
			continue
		}
		out = append(out, f)
	}
	return out
}

// symbolOnly returns the functions of the symbol table named name, for a
// name the DWARF does not know: the DWARF function at the symbol's address
// when there is one (an alias, or a C++ mangled name), else one without
// types (NoTypes set). Clone symbols are listed under their own names
// (xmalloc.cold), as stap does.
func (ix *Index) symbolOnly(name string) []*Function {
	if fns := ix.lookupBySymbol(name); len(fns) > 0 {
		return fns
	}
	var out []*Function
	syms := goruntime.PreferBodies(slices.Clone(ix.symbols().Lookup(name)), symbolRole)
	for _, s := range syms {
		f := &Function{Name: name, Entry: s.Addr, End: s.Addr + s.Size, NoTypes: true}
		if ix.bin.Kind == target.KindGo && strings.Contains(name, ".") {
			f.Lang = LangGo
		}
		out = append(out, f)
	}
	return out
}

// Code returns the machine code of f: a copy, which outlives the binary.
func (ix *Index) Code(f *Function) (code []byte, err error) {
	if f.Inlined || f.End <= f.Entry {
		return nil, fmt.Errorf("%s: no out-of-line code", f.Name)
	}
	uerr := ix.bin.Use(func() {
		code, err = ix.bin.ReadAt(f.Entry, int(f.End-f.Entry))
		code = bytes.Clone(code)
	})
	if uerr != nil {
		return nil, fmt.Errorf("%s: %w", ix.bin.Path, uerr)
	}
	return code, err
}
