package gofacts

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/gopclntab"
	"github.com/stapgen/stapgen/internal/target"
)

// StrippedFuncs lists the functions of a Go binary without DWARF from its
// function table: names, addresses and entry file:line, no types.
type StrippedFuncs struct {
	bin   *target.Binary
	tab   *gopclntab.Table
	funcs []*debuginfo.Function
}

// Stripped reads the function table of a Go binary without DWARF.
func Stripped(bin *target.Binary) (*StrippedFuncs, error) {
	var t *gopclntab.Table
	var err error
	if uerr := bin.Use(func() { t, err = gopclntab.ReadMapped(bin.ELF(), bin.Mapped()) }); uerr != nil {
		err = uerr
	}
	if err != nil {
		return nil, fmt.Errorf("%s: no DWARF and no readable Go function table: %w", bin.Path, err)
	}
	s := &StrippedFuncs{bin: bin, tab: t}
	all := make([]*debuginfo.Function, len(t.Funcs))
	fs := make([]debuginfo.Function, len(t.Funcs)) // one allocation, not 70,000
	for i, f := range t.Funcs {
		fs[i] = debuginfo.Function{Name: f.Name, Lang: debuginfo.LangGo, File: f.File, Line: f.Line,
			Entry: f.Entry, End: f.End, NoTypes: true}
		all[i] = &fs[i]
	}
	// By name, then address: ABI0 wrappers repeat a name after their
	// function's body, and the body (lowest address) is the one kept.
	slices.SortFunc(all, func(a, b *debuginfo.Function) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.Entry, b.Entry))
	})
	s.funcs = slices.CompactFunc(all, func(a, b *debuginfo.Function) bool { return a.Name == b.Name })
	return s, nil
}

// Args is the argument frame size the compiler recorded for f (a function
// of this table), -1 when unknown.
func (s *StrippedFuncs) Args(f *debuginfo.Function) int32 {
	i, ok := slices.BinarySearchFunc(s.tab.Funcs, f.Entry, func(g gopclntab.Func, e uint64) int { return cmp.Compare(g.Entry, e) })
	if !ok {
		return -1
	}
	return s.tab.Funcs[i].Args
}

// Facts answers the plan's questions (RETs, the body after the stack
// check, the goid offset) from the code bytes and the runtime's tables.
func (s *StrippedFuncs) Facts() *Facts { return &Facts{bin: s.bin, tab: s.tab} }

// Lookup finds a function by exact name.
func (s *StrippedFuncs) Lookup(name string) ([]*debuginfo.Function, error) {
	for _, f := range s.funcs {
		if f.Name == name {
			return []*debuginfo.Function{f}, nil
		}
	}
	return nil, &debuginfo.NotFoundError{Name: name}
}

// Match finds functions by glob: debuginfo's, the one every target uses.
func (s *StrippedFuncs) Match(patterns ...string) ([]*debuginfo.Function, error) {
	var globs []debuginfo.Glob
	for _, p := range patterns {
		globs = append(globs, debuginfo.CompileGlob(p))
	}
	var out []*debuginfo.Function
	for _, f := range s.funcs {
		for _, g := range globs {
			if g.Match(f.Name) {
				out = append(out, f)
				break
			}
		}
	}
	if len(out) == 0 && len(patterns) == 1 && !debuginfo.IsPattern(patterns[0]) {
		return nil, &debuginfo.NotFoundError{Name: patterns[0]}
	}
	return out, nil
}
