package session

import (
	"errors"
	"fmt"
	"sync"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/gofacts"
	"github.com/stapgen/stapgen/internal/gosource"
	"github.com/stapgen/stapgen/internal/plan"
)

// sourceTypes gives the functions of a Go binary without DWARF their
// parameter and result types from Go source (or a --signature), each
// checked against the argument frame the binary's function table records.
// A function that gets none stays untyped, with the reason in notes.
type sourceTypes struct {
	funcs *gofacts.StrippedFuncs
	path  string
	opts  gosource.Options
	// abi0: the binary predates the register ABI (Go < 1.17).
	abi0 bool

	once sync.Once
	r    *gosource.Resolver
	err  error

	mu      sync.Mutex
	notes   map[string]string // function → why it has no types
	origins map[string]string // function → where its types came from
}

func (s *sourceTypes) resolver() (*gosource.Resolver, error) {
	s.once.Do(func() { s.r, s.err = gosource.Open(s.path, s.opts) })
	return s.r, s.err
}

// apply types f in place; it returns why not when it cannot.
func (s *sourceTypes) apply(f *debuginfo.Function) error {
	if !f.NoTypes {
		return nil
	}
	r, err := s.resolver()
	if err != nil {
		return err
	}
	sig, err := r.Func(f.Name)
	if err != nil {
		return err
	}
	if sig.Assembly {
		return fmt.Errorf("%s is written in assembly (ABI0); give its arguments with --signature to read them from the stack", f.Name)
	}
	if err := sig.Unknown(); err != nil {
		return err
	}
	// The frame the compiler recorded must match what the source says,
	// or the source is not this binary's.
	if err := sig.Check(int64(s.funcs.Args(f)), goabi.Options{ABI0: s.abi0}); err != nil {
		return err
	}
	sig.Apply(f)
	s.mu.Lock()
	if s.origins == nil {
		s.origins = map[string]string{}
	}
	s.origins[f.Name] = sig.Origin
	s.mu.Unlock()
	return nil
}

// Lookup finds functions by name and types them.
func (s *sourceTypes) Lookup(name string) ([]*debuginfo.Function, error) {
	fns, err := s.funcs.Lookup(name)
	s.typeAll(fns)
	return fns, err
}

// Match finds functions by glob and types them.
func (s *sourceTypes) Match(patterns ...string) ([]*debuginfo.Function, error) {
	fns, err := s.funcs.Match(patterns...)
	s.typeAll(fns)
	return fns, err
}

func (s *sourceTypes) typeAll(fns []*debuginfo.Function) {
	for _, f := range fns {
		if err := s.apply(f); err != nil {
			s.mu.Lock()
			if s.notes == nil {
				s.notes = map[string]string{}
			}
			s.notes[f.Name] = err.Error()
			s.mu.Unlock()
		}
	}
}

// about says where name's types came from, or why it has none ("" when
// it was not asked for).
func (s *sourceTypes) about(name string) (origin, whyNot string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.origins[name], s.notes[name]
}

// about says where a function's types came from, or why it has none; nil
// for a target whose types are its DWARF.
func (t *Target) about() func(string) (string, string) {
	if t.types == nil {
		return nil
	}
	return t.types.about
}

// noteTypes tells, in the script's header, where each probed function's
// types came from, or why it has none.
func noteTypes(about func(string) (string, string), p *plan.Plan) {
	if about == nil {
		return
	}
	seen := map[string]bool{}
	for _, pr := range p.Probes {
		if seen[pr.Function] {
			continue
		}
		seen[pr.Function] = true
		switch origin, why := about(pr.Function); {
		case why != "":
			p.Notes = append(p.Notes, fmt.Sprintf("%s: no types (%s)", pr.Function, why))
		case origin != "":
			p.Notes = append(p.Notes, fmt.Sprintf("%s: types from %s", pr.Function, origin))
		}
	}
}

// UntypedError is a request that needs types a function of a binary
// without DWARF did not get; Why says what to install or pass.
type UntypedError struct {
	Err      error
	Function string
	Why      string
}

func (e *UntypedError) Error() string { return e.Err.Error() }
func (e *UntypedError) Unwrap() error { return e.Err }

// whyUntyped adds the reason to a plan refusal caused by missing types.
func whyUntyped(about func(string) (string, string), err error) error {
	var nt *plan.NoTypesError
	if about == nil || !errors.As(err, &nt) {
		return err
	}
	if _, why := about(nt.Function); why != "" {
		return &UntypedError{Err: err, Function: nt.Function, Why: why}
	}
	return err
}
