package session

import (
	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/gofncache"
	"github.com/stapgen/stapgen/internal/plan"
)

// GoLayout is what the plan knows about a Go function beyond its DWARF:
// where its body starts past the stack check, its RET instructions, and
// where each parameter and result lives under the register ABI.
type GoLayout struct {
	// Body is the address past the stack-check prologue, 0 when unknown.
	Body uint64
	Rets []uint64
	// Params and Results are nil when the ABI assignment failed.
	Params, Results []goabi.Loc
	// RetsOK and HomesOK say Rets and the homes were found; Check is the
	// stack-check prologue the plan places entries by, nil for none.
	RetsOK, HomesOK bool
	Check           *plan.StackCheck
}

// GoLayout answers from the same facts the plan uses; ok is false for a
// function that is not Go or a target without them (stripped, C, kernel).
func (t *Target) GoLayout(f *debuginfo.Function) (l GoLayout, ok bool) {
	if f.Lang != debuginfo.LangGo || t.goFacts == nil {
		return GoLayout{}, false
	}
	if sc, ok := t.goFacts.StackCheck(f); ok {
		l.Body, l.Check = sc.Body, &sc
	}
	if rets, err := t.goFacts.Rets(f); err == nil {
		l.Rets, l.RetsOK = rets, true
	}
	if ph, rh, err := t.goFacts.Homes(f); err == nil {
		l.Params, l.Results, l.HomesOK = ph, rh, true
	}
	return l, true
}

// cached is l as the function cache keeps it.
func (l GoLayout) cached(x *gofncache.Func) {
	x.Body, x.Rets, x.Params, x.Results, x.RetsOK, x.HomesOK = l.Body, l.Rets, l.Params, l.Results, l.RetsOK, l.HomesOK
	if sc := l.Check; sc != nil {
		x.Check = &gofncache.StackCheck{Frame: sc.Frame, Guard: sc.Guard, Body: sc.Body, BodySP: sc.BodySP, Stub: sc.Stub, End: sc.End}
	}
}

// layoutOf is the layout the function cache kept for x.
func layoutOf(x gofncache.Func) GoLayout {
	l := GoLayout{Body: x.Body, Rets: x.Rets, Params: x.Params, Results: x.Results, RetsOK: x.RetsOK, HomesOK: x.HomesOK}
	if sc := x.Check; sc != nil {
		l.Check = &plan.StackCheck{Frame: sc.Frame, Guard: sc.Guard, Body: sc.Body, BodySP: sc.BodySP, Stub: sc.Stub, End: sc.End}
	}
	return l
}
