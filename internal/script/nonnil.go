package script

import "github.com/stapgen/stapgen/internal/plan"

// nonNilView is what a NonNil's templates receive beside the value: the
// text they put under its pointer's test (templates/bpf.stp.tmpl).
type nonNilView struct {
	valueView
	Inner string
}

// nonNilPiece is the piece of a value behind a pointer, in a set that
// tests the pointer itself (guard.NonNil: the BPF runtime, whose reads
// give 0 behind NULL): the value's own piece, joined while the pointer is
// not NULL, and otherwise printed under the test (slow.NonNil), which
// prints "!" for NULL; statements after the value run under the
// same test (after.NonNil). A value with no piece prints through
// value.NonNil.
func (g *generator) nonNilPiece(v valueView, n plan.NonNil) (piece, bool, error) {
	k := kind(n.X)
	p, ok, err := g.piece(k, "value."+k, valueView{V: n.X, CPU: v.CPU, I: v.I})
	if err != nil || !ok {
		return piece{}, false, err
	}
	// Under the test: the value alone (its own template where it has
	// one), and where the joined print's guards fail, its fallback
	// (slow.K, without the guarded case's reads) or its plain print.
	alone, err := g.exec("print", printView{CPU: v.CPU, Fmt: p.fmt, Args: p.args, Above: p.above})
	if err != nil {
		return piece{}, false, err
	}
	own, slow := alone, alone
	if p.own != "" {
		own = p.own
	}
	if len(p.guard) > 0 {
		slow = p.slow
	}
	if p.own, err = g.exec("slow.NonNil", nonNilView{v, own}); err != nil {
		return piece{}, false, err
	}
	if p.slow, err = g.exec("slow.NonNil", nonNilView{v, slow}); err != nil {
		return piece{}, false, err
	}
	if p.after != "" {
		if p.after, err = g.exec("after.NonNil", nonNilView{v, p.after}); err != nil {
			return piece{}, false, err
		}
	}
	guard, err := g.exec("guard.NonNil", v)
	if err != nil {
		return piece{}, false, err
	}
	p.guard = append([]string{guard}, p.guard...)
	cost, err := g.number("cost.NonNil", v)
	if err != nil {
		return piece{}, false, err
	}
	p.cost += cost
	return p, true, nil
}
