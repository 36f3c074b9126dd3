package plan

import (
	"fmt"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/spec"
)

// checkPath refuses a binary path with bytes that stap cannot take in a
// probe point, so the generator can quote it as it is.
func checkPath(p string) error {
	if p == "" || p[0] != '/' {
		return fmt.Errorf("target path %q is not absolute", p)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '*' || c == '?' || c == '[' || c == ']' {
			return fmt.Errorf("target path %q: character %q cannot appear in a stap probe point; copy or link the binary to a plain path", p, c)
		}
	}
	return nil
}

// TypeFinder finds the types that casts in field paths name.
type TypeFinder interface {
	// CastType returns the type called name ("struct x", "u32") as module
	// defines it ("" for the target itself, "kernel", a kernel module's
	// name), and how stap's @cast names that module ("kernel", a module
	// name, a binary's path). An unknown type's error says which names
	// are near.
	CastType(name, module string) (t *debuginfo.Type, stapModule string, err error)
}

// resolvePath finds the value a field path names among vals (the
// parameters or results at a site, order their names for messages). The
// rules are the same at entry, return and lines: members through pointers
// and anonymous members, indexes, casts checked against DWARF.
func (b *builder) resolvePath(vals map[string]ref, order []string, p spec.Path) (ref, error) {
	r, ok := vals[p.Root]
	if !ok {
		return ref{}, refuse("no parameter %q here (have: %v)", p.Root, order)
	}
	if r.why != "" {
		// Nothing under a value that cannot be read is readable either.
		return ref{}, refuse("%s: %s cannot be read here: %s", p, p.Root, r.why)
	}
	for _, s := range p.Steps {
		var err error
		switch {
		case s.Field != "":
			r, err = r.member(s.Field)
		case s.Cast != "":
			r, err = b.castTo(r, s)
		default:
			r, err = r.index(s.Index)
		}
		if err != nil {
			return ref{}, refuse("%s: %v", p, err)
		}
	}
	return r, nil
}

// castTo applies a cast step, after checking its type exists where stap
// will look for it.
func (b *builder) castTo(r ref, s spec.Step) (ref, error) {
	if b.in.Types == nil {
		return ref{}, unreadable("casts need the target's DWARF types, which are not available here")
	}
	t, module, err := b.in.Types.CastType(s.Cast, s.Module)
	if err != nil {
		return ref{}, unreadable("cast to %s: %v", s.Cast, err)
	}
	switch t.Kind {
	case debuginfo.KindStruct, debuginfo.KindUnion:
	default:
		return ref{}, unreadable("cast to %s: a cast names a struct or union type (%s is %s)", s.Cast, s.Cast, t.Kind)
	}
	// stap's spelling of the type it found: a bare struct name the index
	// accepts needs its "struct" keyword in @cast.
	spelling := s.Cast
	if t.Name != "" && !strings.ContainsAny(t.Name, "*\"\\%") {
		spelling = t.Name
	}
	return r.cast(t, spelling, module)
}
