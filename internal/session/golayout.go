package session

import (
	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/goabi"
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
}

// GoLayout answers from the same facts the plan uses; ok is false for a
// function that is not Go or a target without them (stripped, C, kernel).
func (t *Target) GoLayout(f *debuginfo.Function) (l GoLayout, ok bool) {
	if f.Lang != debuginfo.LangGo || t.goFacts == nil {
		return GoLayout{}, false
	}
	if sc, ok := t.goFacts.StackCheck(f); ok {
		l.Body = sc.Body
	}
	if rets, err := t.goFacts.Rets(f); err == nil {
		l.Rets = rets
	}
	if ph, rh, err := t.goFacts.Homes(f); err == nil {
		l.Params, l.Results = ph, rh
	}
	return l, true
}
