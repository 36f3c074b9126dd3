package script

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stapgen/stapgen/internal/plan"
)

// A record is laid out as a list of prints: the head, each field and the
// tail. A kind whose runtime's template set defines a piece (part.K,
// args.K, cost.K and maybe before.K, after.K and above.K:
// templates/bpf.stp.tmpl and kernel.stp.tmpl say why) shares one "print"
// with the pieces next to
// it, within the set's print.budget; other kinds print through their own
// templates. A before.K's statements go before the shared print. A
// guard.K is a condition without which K's piece is not exact: a print
// joining it holds when every guard does, else each piece prints on its
// own (a guarded one through slow.K, which prints the cases its guard
// leaves out). In a set
// that defines print.slow (the kernel runtime's) a piece's own template
// (head, tail, value.K) is its fallback, which the set must define: the
// "print" template receives them all, and a piece alone prints through
// its own.

// Print is one step of a record as the "probe" template writes it: the
// request text of the values it prints, as comments above it, and its
// stap text.
type Print struct {
	From []string
	Text string
}

// printView is what the "print" template receives: the joined format and
// arguments, and each piece's own print, in order.
type printView struct {
	CPU, Fmt string
	Args     []string
	Slow     []string
	// Guard: the conditions under which the joined print is exact (set
	// only where pieces define guard.K); otherwise Slow prints.
	Guard []string
	// Above: a piece copies a string out (above.K), which the template
	// needs a print above in the text for (templates/bpf.stp.tmpl,
	// print.above).
	Above bool
}

type piece struct {
	fmt    string
	args   []string
	cost   int
	before string
	after  string
	// own is the step's own template's text, slow what prints in a
	// joined print's fallback: own, or slow.K's where guard.K is.
	own, slow string
	// guard: the conditions of guard.K (a NonNil's first, then its
	// value's).
	guard []string
	above bool
	// beside (where bounded) is how many other field values at most
	// share a print with this one (beside.K).
	beside  int
	bounded bool
	// value: the piece prints a field (not the head or tail).
	value bool
}

// layout collects a handler's prints, holding the pieces that share the
// print being built.
type layout struct {
	g    *generator
	cpu  string
	out  []Print
	open []piece
	from []string
	cost int
	// budget is the set's print.budget, read when a piece first needs it.
	budget int
}

// record lays out the prints of pv's part of its record.
func (g *generator) record(pv ProbeView) ([]Print, error) {
	l := &layout{g: g, cpu: pv.CPU}
	if pv.Head {
		if err := l.add(nil, "head", "head", pv); err != nil {
			return nil, err
		}
	}
	for i, f := range pv.Fields {
		var from []string
		if f.From != "" {
			from = []string{f.From}
		}
		k := kind(f.Value)
		if err := l.add(from, k, "value."+k, valueView{V: f.Value, CPU: pv.CPU, I: i}); err != nil {
			return nil, err
		}
	}
	if pv.Tail {
		if pv.Max > 0 && !pv.Head {
			if err := l.add(nil, "", "record.close", pv); err != nil {
				return nil, err
			}
		}
		if err := l.add(nil, "tail", "tail", pv); err != nil {
			return nil, err
		}
	}
	if err := l.flush(); err != nil {
		return nil, err
	}
	return l.out, nil
}

// add lays out one step: the piece of kind k when the runtime merges
// prints and the templates define one, else template name's own text.
func (l *layout) add(from []string, k, name string, data any) error {
	p, ok, err := l.g.piece(k, name, data)
	if err != nil {
		return err
	}
	if !ok {
		s, err := l.g.exec(name, data)
		if err != nil {
			return err
		}
		if err := l.flush(); err != nil {
			return err
		}
		l.out = append(l.out, Print{From: from, Text: s})
		return nil
	}
	if l.budget == 0 {
		if l.budget, err = l.g.number("print.budget", nil); err != nil {
			return err
		}
	}
	if len(l.open) > 0 && (l.cost+p.cost > l.budget || !l.fits(p)) {
		if err := l.flush(); err != nil {
			return err
		}
	}
	l.open = append(l.open, p)
	l.from = append(l.from, from...)
	l.cost += p.cost
	if p.after != "" {
		return l.flush() // statements follow: nothing joins the print past them
	}
	return nil
}

// fits tells whether p may join the open pieces by their beside.K
// bounds: each bounded piece's print holds at most that many other
// field values.
func (l *layout) fits(p piece) bool {
	values := 0
	for _, o := range append(l.open, p) {
		if o.value {
			values++
		}
	}
	for _, o := range append(l.open, p) {
		if o.bounded && values-1 > o.beside {
			return false
		}
	}
	return true
}

// flush writes the open pieces as one print.
func (l *layout) flush() error {
	if len(l.open) == 0 {
		return nil
	}
	v := printView{CPU: l.cpu}
	var before []string
	var after string
	for _, p := range l.open {
		v.Fmt += p.fmt
		v.Args = append(v.Args, p.args...)
		if p.before != "" {
			before = append(before, p.before)
		}
		v.Slow = append(v.Slow, p.slow)
		v.Above = v.Above || p.above
		after = p.after
	}
	for _, p := range l.open {
		for _, g := range p.guard {
			// Members of one struct share its pointer's test.
			if !slices.Contains(v.Guard, g) {
				v.Guard = append(v.Guard, g)
			}
		}
	}
	if len(v.Guard) > 0 {
		// Outside the guards each piece prints on its own: a guarded
		// piece through its own template, a plain one alone.
		for i, p := range l.open {
			if p.slow != "" {
				continue
			}
			own, err := l.g.exec("print", printView{CPU: l.cpu, Fmt: p.fmt, Args: p.args})
			if err != nil {
				return err
			}
			v.Slow[i] = own
		}
	}
	var s string
	var err error
	if len(l.open) == 1 && l.open[0].own != "" {
		s = l.open[0].own // nothing to join: its own print is the cheaper
	} else if s, err = l.g.exec("print", v); err != nil {
		return err
	}
	if len(before) > 0 {
		s = strings.Join(before, "\n") + "\n" + s
	}
	if after != "" {
		s += "\n" + after
	}
	l.out = append(l.out, Print{From: l.from, Text: s})
	l.open, l.from, l.cost = nil, nil, 0
	return nil
}

// piece renders kind k's piece for data; ok is false for kinds that
// print through a template of their own: those the set defines no part.K
// for, and those whose part.K renders nothing for data (a value its piece
// cannot print exactly). name is the step's own template, the fallback
// under print.slow.
func (g *generator) piece(k, name string, data any) (p piece, ok bool, err error) {
	if v, isValue := data.(valueView); isValue {
		if n, guarded := v.V.(plan.NonNil); guarded && g.t.Lookup("guard.NonNil") != nil {
			return g.nonNilPiece(v, n)
		}
	}
	if k == "" || g.t.Lookup("part."+k) == nil {
		return p, false, nil
	}
	if p.fmt, err = g.exec("part."+k, data); err != nil || p.fmt == "" {
		return p, false, err
	}
	args, err := g.exec("args."+k, data)
	if err != nil {
		return p, false, err
	}
	if args != "" {
		p.args = []string{args}
	}
	if p.cost, err = g.number("cost."+k, data); err != nil {
		return p, false, err
	}
	if g.t.Lookup("before."+k) != nil {
		if p.before, err = g.exec("before."+k, data); err != nil {
			return p, false, err
		}
	}
	if g.t.Lookup("after."+k) != nil {
		if p.after, err = g.exec("after."+k, data); err != nil {
			return p, false, err
		}
	}
	if g.t.Lookup("above."+k) != nil {
		above, err := g.exec("above."+k, data)
		if err != nil {
			return p, false, err
		}
		p.above = above != ""
	}
	if g.t.Lookup("beside."+k) != nil {
		b, err := g.exec("beside."+k, data)
		if err != nil {
			return p, false, err
		}
		if strings.TrimSpace(b) != "" {
			if p.beside, err = g.number("beside."+k, data); err != nil {
				return p, false, err
			}
			p.bounded = true
		}
	}
	_, p.value = data.(valueView)
	if g.t.Lookup("guard."+k) != nil {
		guard, err := g.exec("guard."+k, data)
		if err != nil {
			return p, false, err
		}
		if guard != "" {
			p.guard = []string{guard}
		}
	}
	if len(p.guard) > 0 || g.t.Lookup("print.slow") != nil {
		if p.own, err = g.exec(name, data); err != nil {
			return p, false, err
		}
		p.slow = p.own
	}
	if len(p.guard) > 0 {
		// What prints where the guard fails, without the guarded
		// case's reads: stapbpf's stack holds the joined print's and
		// not a second copy of them.
		if p.slow, err = g.exec("slow."+k, data); err != nil {
			return p, false, err
		}
	}
	return p, true, nil
}

// number renders a template that gives a number.
func (g *generator) number(name string, data any) (int, error) {
	s, err := g.exec(name, data)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("template %q: want a number, got %q", name, s)
	}
	return n, nil
}

// reads counts the user-memory reads in e, which a BPF print's cost
// includes.
func reads(e plan.Expr) int {
	switch e := e.(type) {
	case plan.Mem:
		return 1 + reads(e.Addr)
	case plan.Narrow:
		return reads(e.X)
	case plan.Cast:
		return reads(e.X)
	case plan.Linked:
		return reads(e.X)
	case plan.Var:
		if e.Of != nil {
			// A @cast chain reads the memory its steps reach (a BPF stack
			// argument's word: plan.castWords).
			return 1 + reads(e.Of)
		}
	}
	return 0
}

// entry tells whether e reads a value saved at the function's entry
// (@entry): stap saves each @entry it is given once, at every entry, so a
// kernel-runtime piece, printed again in its fallback, would save it twice.
func entry(e plan.Expr) bool {
	switch e := e.(type) {
	case plan.Var:
		return e.Entry || (e.Of != nil && entry(e.Of))
	case plan.UReg:
		return e.Entry
	case plan.Mem:
		return entry(e.Addr)
	case plan.Narrow:
		return entry(e.X)
	case plan.Cast:
		return entry(e.X)
	case plan.Linked:
		return entry(e.X)
	}
	return false
}
