package session

import (
	"errors"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/gofncache"
	"github.com/stapgen/stapgen/internal/goruntime"
	"github.com/stapgen/stapgen/internal/plan"
)

// A plan of a Go target is built from the function cache when the cache
// answers every question the plan asks (plan.Inputs: functions by
// pattern, their Go facts, the binary's). The plan is a function of those
// answers, so the same answers give the same script; one question the
// cache cannot answer (a pattern never planned, a line, a cast, a fact
// whose lookup failed) marks the attempt missed, and the plan is built
// again from the binary, recording its answers for the next time.

// planQuery is a pattern's entry: apart from show's (an exact name) and
// list's, which keep fewer facts.
func planQuery(pattern string) string { return "plan\x00" + pattern }

// errMiss answers a question the cache cannot; the attempt is discarded.
var errMiss = errors.New("not in the function cache")

// cachedPlan answers a plan's questions from the function cache.
type cachedPlan struct {
	c      gofncache.Cache
	bin    gofncache.Binary
	facts  map[*debuginfo.Function]gofncache.Func
	byName map[string]gofncache.Func
	missed bool
}

func newCachedPlan(c gofncache.Cache) *cachedPlan {
	return &cachedPlan{c: c, bin: c.LoadBinary(), facts: map[*debuginfo.Function]gofncache.Func{}, byName: map[string]gofncache.Func{}}
}

func (p *cachedPlan) miss() error {
	p.missed = true
	return errMiss
}

func (p *cachedPlan) Match(patterns ...string) ([]*debuginfo.Function, error) {
	if len(patterns) != 1 {
		return nil, p.miss()
	}
	fns, ok := p.c.Load(planQuery(patterns[0]))
	if !ok {
		return nil, p.miss()
	}
	out := make([]*debuginfo.Function, len(fns))
	for i, x := range fns {
		out[i] = x.F
		p.facts[x.F] = x
		p.byName[x.F.Name] = x
	}
	return out, nil
}

// fact is what the cache holds of f, ok false (a miss) for a function it
// did not give.
func (p *cachedPlan) fact(f *debuginfo.Function) (gofncache.Func, bool) {
	x, ok := p.facts[f]
	if !ok || !x.Layout {
		p.missed = true
	}
	return x, ok && x.Layout
}

func (p *cachedPlan) Homes(f *debuginfo.Function) (params, results []goabi.Loc, err error) {
	x, ok := p.fact(f)
	if !ok || !x.HomesOK {
		return nil, nil, p.miss()
	}
	return x.Params, x.Results, nil
}

func (p *cachedPlan) Rets(f *debuginfo.Function) ([]uint64, error) {
	x, ok := p.fact(f)
	if !ok || !x.RetsOK {
		return nil, p.miss()
	}
	return x.Rets, nil
}

func (p *cachedPlan) StackCheck(f *debuginfo.Function) (plan.StackCheck, bool) {
	x, ok := p.fact(f)
	if !ok || x.Check == nil {
		return plan.StackCheck{}, false
	}
	return *layoutOf(x).Check, true
}

func (p *cachedPlan) GoidOffset() (int64, error) {
	if !p.bin.GoidOK {
		return 0, p.miss()
	}
	return p.bin.Goid, nil
}

func (p *cachedPlan) GoTypes() (*plan.GoTypes, error) {
	t := p.bin.Types
	if t == nil {
		return nil, p.miss()
	}
	ts := &plan.GoTypes{Base: t.Base, PIE: t.PIE}
	for _, k := range t.Known {
		l, ok := errorLayout(k.Name)
		if !ok {
			return nil, p.miss()
		}
		ts.Known = append(ts.Known, plan.KnownType{Layout: l, Addr: k.Addr})
	}
	return ts, nil
}

func errorLayout(name string) (goruntime.Layout, bool) {
	for _, l := range goruntime.ErrorLayouts {
		if l.Name == name {
			return l, true
		}
	}
	return goruntime.Layout{}, false
}

// about is where a function's types came from, as the cache kept it.
func (p *cachedPlan) about(name string) (origin, whyNot string) {
	x := p.byName[name]
	return x.TypesFrom, x.TypesWhyNot
}

// cachedLines is cachedPlan for a binary with DWARF, whose full source
// (debuginfo.Index) also places line probes: the plan tells the two kinds
// of source apart, so this one answers as the index's kind, and every
// line question is a miss.
type cachedLines struct{ *cachedPlan }

func (p cachedLines) Lines(*debuginfo.Function) ([]debuginfo.Line, error) { return nil, p.miss() }
func (p cachedLines) LineAt(*debuginfo.Function, int) ([]debuginfo.Line, error) {
	return nil, p.miss()
}
func (p cachedLines) IsClone(*debuginfo.Function) bool { p.missed = true; return false }
func (p cachedLines) FunctionsAtLine(string, int) (debuginfo.LineFunctions, error) {
	return debuginfo.LineFunctions{}, p.miss()
}

// CastType: casts name types of the binary (or the kernel's) that the
// cache does not keep.
func (p cachedLines) CastType(string, string) (*debuginfo.Type, string, error) {
	return nil, "", p.miss()
}

// WordType: the word type a plan found before.
func (p cachedLines) WordType() (name, module string, ok bool) {
	if p.bin.Word == nil {
		p.missed = true
		return "", "", false
	}
	return p.bin.Word.Name, p.bin.Word.Module, true
}

var (
	_ plan.WordFinder  = cachedLines{}
	_ plan.GoFacts     = (*cachedPlan)(nil)
	_ plan.GoTypeFacts = (*cachedPlan)(nil)
	_ plan.LineLister  = cachedLines{}
	_ plan.LineFinder  = cachedLines{}
	_ plan.TypeFinder  = cachedLines{}
)

// recorder passes a plan's questions to the binary's sources and keeps
// the answers the cache can hold.
type recorder struct {
	t        *Target
	funcs    plan.Resolver
	facts    *gofactsRecorder
	patterns []string
	found    map[string][]*debuginfo.Function
	word     *gofncache.Word
}

// castRecorder passes casts on and keeps the word type's answer.
type castRecorder struct {
	plan.TypeFinder
	r *recorder
}

func (c castRecorder) WordType() (name, module string, ok bool) {
	name, module = plan.FindWordType(c.TypeFinder)
	c.r.word = &gofncache.Word{Name: name, Module: module}
	return name, module, true
}

// types is the plan's type finder, recording the word type.
func (r *recorder) types(t plan.TypeFinder) plan.TypeFinder {
	if t == nil {
		return nil
	}
	return castRecorder{t, r}
}

func (r *recorder) Match(patterns ...string) ([]*debuginfo.Function, error) {
	fns, err := r.funcs.Match(patterns...)
	if err == nil && len(patterns) == 1 {
		if _, ok := r.found[patterns[0]]; !ok {
			r.patterns = append(r.patterns, patterns[0])
		}
		r.found[patterns[0]] = fns
	}
	return fns, err
}

// lineRecorder is recorder for a source that also places line probes.
type lineRecorder struct {
	*recorder
	plan.LineLister
	plan.LineFinder
}

// gofactsRecorder keeps the binary's facts as the plan finds them.
type gofactsRecorder struct {
	plan.GoFacts
	bin gofncache.Binary
}

func (g *gofactsRecorder) GoidOffset() (int64, error) {
	off, err := g.GoFacts.GoidOffset()
	if err == nil {
		g.bin.Goid, g.bin.GoidOK = off, true
	}
	return off, err
}

func (g *gofactsRecorder) GoTypes() (*plan.GoTypes, error) {
	tf, ok := g.GoFacts.(plan.GoTypeFacts)
	if !ok {
		return nil, errors.New("no runtime type facts")
	}
	ts, err := tf.GoTypes()
	if err == nil && ts != nil {
		kt := &gofncache.GoTypes{Base: ts.Base, PIE: ts.PIE}
		for _, k := range ts.Known {
			kt.Known = append(kt.Known, gofncache.Known{Name: k.Name, Addr: k.Addr})
		}
		g.bin.Types = kt
	}
	return ts, err
}

// record wraps t's function source and Go facts for a plan.
func record(t *Target) *recorder {
	r := &recorder{t: t, funcs: t.typed(), found: map[string][]*debuginfo.Function{}}
	if g := t.planGo(); g != nil {
		r.facts = &gofactsRecorder{GoFacts: g}
	}
	return r
}

// resolver is the source the plan asks: the recorder, with the line
// questions of a source that answers them.
func (r *recorder) resolver() plan.Resolver {
	ll, ok1 := r.funcs.(plan.LineLister)
	lf, ok2 := r.funcs.(plan.LineFinder)
	if ok1 && ok2 {
		return lineRecorder{r, ll, lf}
	}
	return r
}

func (r *recorder) goFacts() plan.GoFacts {
	if r.facts == nil {
		return nil
	}
	return r.facts
}

// store keeps what a successful plan was told, each pattern's functions
// with all their Go facts (a later plan of other options asks others).
func (r *recorder) store(c gofncache.Cache) {
	for _, pat := range r.patterns {
		fns := r.found[pat]
		if !cacheable(fns) || len(fns) > maxListed {
			continue
		}
		out := make([]gofncache.Func, len(fns))
		for i, f := range fns {
			out[i] = gofncache.Func{F: f}
			out[i].TypesFrom, out[i].TypesWhyNot = r.t.TypesOf(f)
			l, ok := r.t.GoLayout(f)
			out[i].Layout = ok
			l.cached(&out[i])
		}
		c.Store(planQuery(pat), out, r.t.consulted())
	}
	if r.facts != nil {
		r.facts.bin.Word = r.word
		c.StoreBinary(r.facts.bin)
	}
}
