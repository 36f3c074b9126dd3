package gofacts

import (
	"fmt"
	"sort"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/gopclntab"
	"github.com/stapgen/stapgen/internal/target"
)

// StrippedFuncs lists the functions of a stripped Go binary from its
// .gopclntab: names and addresses, no types.
type StrippedFuncs struct {
	bin   *target.Binary
	funcs []*debuginfo.Function
}

// Stripped reads the function table of a Go binary without DWARF.
func Stripped(bin *target.Binary) (*StrippedFuncs, error) {
	t, err := gopclntab.Read(bin.ELF())
	if err != nil {
		return nil, fmt.Errorf("%s: no DWARF and no readable .gopclntab: %w", bin.Path, err)
	}
	s := &StrippedFuncs{bin: bin}
	seen := map[string]bool{}
	for _, f := range t.Funcs {
		if seen[f.Name] {
			continue // ABI0 wrappers repeat the name; the first is the body
		}
		seen[f.Name] = true
		s.funcs = append(s.funcs, &debuginfo.Function{Name: f.Name, Lang: debuginfo.LangGo, Entry: f.Entry, End: f.End, NoTypes: true})
	}
	sort.Slice(s.funcs, func(i, j int) bool { return s.funcs[i].Name < s.funcs[j].Name })
	return s, nil
}

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
