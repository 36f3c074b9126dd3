package plan

import (
	"fmt"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/spec"
)

// Stat is a probe's statistic keyed by a field's value, or summing one:
// a stap statistics array of the probe's own, fed each call (after its
// filter) with 1 (a count), Value, or with Lat the time since the paired
// entry. Its keys print with the most calls first, Top of them.
type Stat struct {
	// Key is the value the statistic is kept per, nil for one statistic.
	Key Key
	// KeyFrom and ValueFrom are the paths as the user wrote them.
	KeyFrom, ValueFrom string
	Value              Expr
	Lat                bool
	Top                int
	// Stash (a Go entry, for a keyed latency) keeps Key for the return
	// instead of a statistic: the return reads it as a Stashed key.
	Stash bool
}

// Key is what a statistic is keyed by. Its dynamic type says how it is read.
type Key interface{ isKey() }

// IntKey is an integer (or enum, bool, pointer) key.
type IntKey struct {
	X      Expr
	Signed bool
}

// StrKey is a string key, its first Max bytes: a Go string (Len set) or
// a NUL-terminated C string (Len nil), in kernel memory when Kernel.
type StrKey struct {
	Ptr, Len Expr
	Max      int
	Kernel   bool
}

// Stashed is the key the entry probe Entry kept for this return (per
// process and goroutine or thread); Str says it is a string.
type Stashed struct {
	Entry int
	Str   bool
	// Goid: the entry kept it per goroutine (__sg_g), else per thread.
	Goid bool
}

// FromEntry is the key the entry kept, nil when the key is read here.
func (s *Stat) FromEntry() *Stashed {
	if k, ok := s.Key.(Stashed); ok {
		return &k
	}
	return nil
}

func (IntKey) isKey()  {}
func (StrKey) isKey()  {}
func (Stashed) isKey() {}

// maxKeyLen bounds a string key: stap escapes it for printing (up to four
// bytes each) within MAXSTRINGLEN (512).
const maxKeyLen = 100

// site is the values a probe being added can read, for its statistic.
type site struct {
	vals  map[string]ref
	order []string
}

// stat plans pr's statistic from the values at its site, when the
// request keys or sums and the path belongs to this site: a parameter at
// an entry, "return" (C) or a result (Go) at a return, and for a keyed
// latency the return (a C parameter there is its @entry value).
func (b *builder) stat(pr *Probe, at *site) error {
	req := b.in.Request
	if at == nil || req.Aggregate == spec.AggNone || req.By == nil && req.AggOf == nil {
		return nil
	}
	belongs := func(p spec.Path) bool {
		if _, ok := at.vals[p.Root]; !ok {
			return false
		}
		if pr.Site == event.SiteReturn && pr.Lang != debuginfo.LangGo {
			// C return vals hold the parameters too, as @entry values.
			return p.Root == ReturnRoot || req.Aggregate == spec.AggLatency
		}
		return pr.Site == event.SiteEntry || pr.Site == event.SiteReturn
	}
	goLat := req.Aggregate == spec.AggLatency && pr.Lang == debuginfo.LangGo && req.By != nil
	switch {
	case goLat && pr.Site == event.SiteEntry && belongs(*req.By):
		// A Go return cannot read the parameters (their registers are
		// reused by then): the entry keeps the key for its return.
		return b.stashKey(pr, at)
	case goLat && pr.Site == event.SiteReturn && !belongs(*req.By):
		return b.stashedKey(pr)
	case req.Aggregate == spec.AggLatency && pr.Site != event.SiteReturn:
		return nil
	case req.AggOf != nil && !belongs(*req.AggOf):
		return nil
	case req.By != nil && !belongs(*req.By):
		if req.AggOf != nil {
			return refuse("--by %s: not readable where %s is (%s %s)", req.By, req.AggOf, pr.Function, pr.Site)
		}
		return nil
	}
	st := &Stat{Lat: req.Aggregate == spec.AggLatency, Top: req.Top}
	if req.AggOf != nil {
		r, err := b.resolvePath(at.vals, at.order, *req.AggOf)
		if err != nil {
			return fmt.Errorf("aggregate sum:%s: %w", req.AggOf, err)
		}
		if st.Value, err = b.sumOf(r); err != nil {
			return fmt.Errorf("aggregate sum:%s: %w", req.AggOf, err)
		}
		st.ValueFrom = req.AggOf.String()
	}
	if req.By != nil {
		r, err := b.resolvePath(at.vals, at.order, *req.By)
		if err != nil {
			return fmt.Errorf("--by %s: %w", req.By, err)
		}
		if st.Key, err = b.keyOf(r); err != nil {
			return fmt.Errorf("--by %s: %w", req.By, err)
		}
		st.KeyFrom = req.By.String()
	}
	pr.Stat = st
	return nil
}

// sumOf is the expression a sum adds: an integer.
func (b *builder) sumOf(r ref) (Expr, error) {
	if r.why != "" {
		return nil, refuse("%s", r.why)
	}
	if r.typ == nil {
		return nil, refuse("type unknown")
	}
	switch r.typ.Kind {
	case debuginfo.KindInt, debuginfo.KindUint, debuginfo.KindBool, debuginfo.KindEnum:
	default:
		return nil, refuse("%s is a %s; a sum adds integers", typeName(r.typ), r.typ.Kind)
	}
	v, err := b.em.scalar(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	return v, nil
}

// keyOf is how a key is read: integers as they are, strings by their
// first bytes (kernel runtime only: stapbpf 4.8 keys maps by strings it
// reads as empty).
func (b *builder) keyOf(r ref) (Key, error) {
	if r.why != "" {
		return nil, refuse("%s", r.why)
	}
	t := r.typ
	if t == nil {
		return nil, refuse("type unknown")
	}
	str := t.Kind == debuginfo.KindString || t.Kind == debuginfo.KindPointer && t.Elem != nil && t.Elem.Char
	switch {
	case str && b.em.bpf:
		return nil, refuse("string keys need the kernel runtime (stapbpf 4.8 reads a string key as empty); use --runtime kernel, or key by a number")
	case t.Kind == debuginfo.KindString:
		pv, nv, err := b.goStringWords(r)
		if err != nil {
			return nil, err
		}
		return StrKey{Ptr: pv, Len: nv, Max: min(b.plan.Limits.StringLen, maxKeyLen)}, nil
	case str:
		v, err := b.em.scalar(r)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRefused, err)
		}
		return StrKey{Ptr: v, Max: min(b.plan.Limits.StringLen, maxKeyLen), Kernel: b.in.Target.Kernel}, nil
	}
	switch t.Kind {
	case debuginfo.KindInt, debuginfo.KindUint, debuginfo.KindBool, debuginfo.KindEnum, debuginfo.KindPointer:
	default:
		return nil, refuse("%s is a %s; a key is an integer, pointer or string", typeName(t), t.Kind)
	}
	v, err := b.em.scalar(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	return IntKey{X: v, Signed: signedKind(t.Kind)}, nil
}

// statLast plans the statistic of the probe just added, from the values
// at its site.
func (b *builder) statLast(vals map[string]ref, order []string) error {
	pr := &b.plan.Probes[len(b.plan.Probes)-1]
	return b.stat(pr, &site{vals: vals, order: order})
}

// checkStats refuses a keyed or summed aggregate that some probed
// function has no site for, naming where its path can be read.
func (p *Plan) checkStats(req *spec.Request) error {
	if req.By == nil && req.AggOf == nil {
		return nil
	}
	var what string
	if req.AggOf != nil {
		what = "sum:" + req.AggOf.String()
	} else {
		what = "--by " + req.By.String()
	}
	has := map[string]bool{}
	for _, pr := range p.Probes {
		if pr.Site == event.SiteRestart {
			// The runtime's restart points (BPF Go entries) are no
			// probed function: they count nothing.
			has[pr.Function] = true
			continue
		}
		if _, ok := has[pr.Function]; !ok {
			has[pr.Function] = false
		}
		if pr.Stat != nil {
			has[pr.Function] = true
		}
	}
	for _, pr := range p.Probes {
		if has[pr.Function] {
			continue
		}
		hint := "name a parameter, or return (add --return)"
		if pr.Site == event.SiteLine {
			hint = "aggregates by value are planned at function entries and returns, not lines"
		}
		return refuse("%s: %s reads no such value at its probes; %s", what, pr.Function, hint)
	}
	return nil
}

// runTotals plans the BPF runtime's interval snapshots. stapbpf runs a
// timer probe in the kernel, where it extracts no statistics ("unsupported
// extraction function in bpf kernel probe: @count") and runs no loop, so
// the probes add to plain arrays too, read by name. Their updates are not
// atomic: calls on two CPUs at once can be counted once in an interval
// snapshot; the final one comes from the statistics, exact.
func (p *Plan) runTotals(req *spec.Request) error {
	if req.By != nil {
		return refuse("--interval with --by on the BPF runtime: stapbpf's timer probes cannot loop over keys; drop --interval (keyed statistics print at the end) or use --runtime kernel")
	}
	p.RunTotals = true
	return nil
}

// statSchema tells the decoder what pr's statistic is, nil for none.
func statSchema(p *Plan, pr Probe) *event.StatSchema {
	if pr.Stat == nil || pr.Stat.Stash {
		return nil
	}
	return &event.StatSchema{Kind: string(p.Aggregate), Value: pr.Stat.ValueFrom, Key: pr.Stat.KeyFrom}
}

// stashKey plans a Go entry that keeps the --by key of a keyed latency
// for its return, per goroutine (or thread), as the entry's time is.
func (b *builder) stashKey(pr *Probe, at *site) error {
	by := b.in.Request.By
	r, err := b.resolvePath(at.vals, at.order, *by)
	if err != nil {
		return fmt.Errorf("--by %s: %w", by, err)
	}
	k, err := b.keyOf(r)
	if err != nil {
		return fmt.Errorf("--by %s: %w", by, err)
	}
	pr.Stat = &Stat{Key: k, Stash: true, KeyFrom: by.String()}
	return nil
}

// stashedKey keys a Go return's latency by what its entry kept.
func (b *builder) stashedKey(pr *Probe) error {
	by := b.in.Request.By
	for i := len(b.plan.Probes) - 1; i >= 0; i-- {
		e := b.plan.Probes[i]
		if e.Function == pr.Function && e.Site == event.SiteEntry && e.Stat != nil && e.Stat.Stash {
			_, str := e.Stat.Key.(StrKey)
			pr.Stat = &Stat{Key: Stashed{Entry: e.Index, Str: str, Goid: e.Goid != nil}, Lat: true, Top: b.in.Request.Top, KeyFrom: by.String()}
			return nil
		}
	}
	return refuse("--by %s: not a result of %s, and no entry probe to read it at", by, pr.Function)
}
