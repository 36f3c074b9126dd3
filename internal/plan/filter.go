package plan

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/debuginfo/nameindex"
	"github.com/stapgen/stapgen/internal/spec"
)

// maxLiteral keeps string literals within stap's MAXSTRINGLEN (512).
const maxLiteral = 500

// PerFunctionHint is how a user limits a filter to the functions that
// have what it names.
const PerFunctionHint = "to filter only some of the functions, write --where 'FUNCTION { CONDITION }' (in a probe file: where FUNCTION { CONDITION })"

// filters are the request's filters that apply to function name, probed
// as pattern: every global one and the per-function ones naming it (the
// probe's name or glob as written, or a glob matching name).
func (b *builder) filters(name, pattern string) []spec.Filter {
	var out []spec.Filter
	for i, f := range b.in.Request.Where {
		if f.Func == "" || f.Func == pattern || f.Func == name || debuginfo.CompileGlob(f.Func).Match(name) {
			out = append(out, f)
			if b.usedFilter == nil {
				b.usedFilter = map[int]bool{}
			}
			b.usedFilter[i] = true
		}
	}
	return out
}

// unusedFilters refuses a per-function filter that named no probed
// function: a typo would otherwise trace every call unfiltered.
func (b *builder) unusedFilters() error {
	for i, f := range b.in.Request.Where {
		if f.Func != "" && !b.usedFilter[i] {
			var probed []string
			for _, p := range b.plan.Probes {
				if !slices.Contains(probed, p.Function) {
					probed = append(probed, p.Function)
				}
			}
			return refuse("filter %s: no probed function is %s (probed: %s)", f, f.Func, strings.Join(probed[:min(8, len(probed))], ", "))
		}
	}
	return nil
}

// splitFilters sorts filters by where they are tested: one that names a
// result (isResult) at the return, the others at the entry.
func splitFilters(fs []spec.Filter, isResult func(string) bool) (entry, ret []spec.Filter) {
	for _, f := range fs {
		if slices.ContainsFunc(spec.Roots(f.Expr), isResult) {
			ret = append(ret, f)
		} else {
			entry = append(entry, f)
		}
	}
	return entry, ret
}

// condition is the filters' condition over the values available at a
// site of function fn (order their names, for messages); nil when there
// are none.
func (b *builder) condition(fn string, fs []spec.Filter, vals map[string]ref, order []string) (Cond, error) {
	var parts And
	for _, f := range fs {
		for _, root := range spec.Roots(f.Expr) {
			if _, ok := vals[root]; !ok {
				return nil, b.missingRoot(fn, f, root, order)
			}
		}
		// As on the kernel runtime, whose read faults there, a value
		// behind a NULL pointer makes the whole filter false: the BPF
		// runtime's reads give 0 behind it, so it tests the pointers first.
		var tests And
		c, err := b.cond(vals, order, f.Expr, &tests)
		if err != nil {
			return nil, fmt.Errorf("filter %s: %w", f, err)
		}
		if len(tests) > 0 {
			c = append(tests, c)
		}
		parts = append(parts, c)
	}
	if len(parts) == 0 {
		return nil, nil
	}
	return parts, nil
}

// missingRoot says which names fn has instead, and for a filter on every
// function how to keep it to those that have the name.
func (b *builder) missingRoot(fn string, f spec.Filter, root string, order []string) error {
	have := "it has no parameters"
	if len(order) > 0 {
		have = "it has " + strings.Join(order, ", ")
		if near := nameindex.Similar(root, order, 3); len(near) > 0 && len(order) > 3 {
			have = "similar: " + strings.Join(near, ", ")
		}
	}
	msg := fmt.Sprintf("filter %s: %s has no parameter or result %q here (%s)", f, fn, root, have)
	if f.Func == "" && len(b.in.Request.Probes) > 1 {
		msg += "; " + PerFunctionHint
	}
	return refuse("%s", msg)
}

// cond types one condition of a filter, adding to tests that each
// pointer its paths go through, where the runtime tests them, is not NULL
// (once each).
func (b *builder) cond(vals map[string]ref, order []string, e spec.FilterExpr, tests *And) (Cond, error) {
	switch e := e.(type) {
	case spec.All:
		cs, err := b.conds(vals, order, e, tests)
		return And(cs), err
	case spec.Any:
		cs, err := b.conds(vals, order, e, tests)
		return Or(cs), err
	case spec.Not:
		c, err := b.cond(vals, order, e.X, tests)
		if err != nil {
			return nil, err
		}
		return Not{X: c}, nil
	case spec.Predicate:
		r, err := b.resolvePath(vals, order, e.Path)
		if err != nil {
			return nil, err
		}
		for _, p := range b.em.testedPointers(r) {
			c := Compare{X: p, Op: spec.OpNe, N: 0}
			if !slices.ContainsFunc(*tests, func(t Cond) bool { return reflect.DeepEqual(t, c) }) {
				*tests = append(*tests, c)
			}
		}
		return b.predicate(r, e)
	}
	return nil, fmt.Errorf("filter node %T", e)
}

func (b *builder) conds(vals map[string]ref, order []string, es []spec.FilterExpr, tests *And) ([]Cond, error) {
	var out []Cond
	for _, x := range es {
		c, err := b.cond(vals, order, x, tests)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (b *builder) predicate(r ref, p spec.Predicate) (Cond, error) {
	t := r.typ
	if t == nil {
		return nil, refuse("type unknown")
	}
	if !p.IsString {
		switch t.Kind {
		case debuginfo.KindInt, debuginfo.KindUint, debuginfo.KindEnum, debuginfo.KindBool, debuginfo.KindPointer:
			v, err := b.em.scalar(r)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrRefused, err)
			}
			if rv, applies, ok := b.em.bpfUint32(r); applies {
				if !ok {
					return nil, refuse("%s: %s", p.Path, errBPFUint32)
				}
				v = rv
			}
			if b.em.bpf && (!fitsInt32(p.Int) || p.HasMask && !fitsInt32(p.Mask)) {
				// stap 4.8's BPF back end compiles such a constant into a
				// store through the value (see bpfUint32).
				return nil, refuse("%s: the BPF runtime (stap 4.8) cannot compare with constants outside ±2^31 (its verifier refuses the script); use --runtime kernel", p.Path)
			}
			if p.HasMask {
				return Mask{X: v, M: p.Mask, Op: p.Op, N: p.Int}, nil
			}
			return Compare{X: v, Op: p.Op, N: p.Int}, nil
		}
		return nil, refuse("%s is a %s; compare numbers only with numeric values", p.Path, t.Name)
	}
	if b.em.bpf {
		return nil, refuse("string filters need the kernel runtime")
	}
	if strings.IndexByte(p.Str, 0) >= 0 || len(p.Str) > maxLiteral {
		return nil, refuse("string literal must have no NUL byte and at most %d bytes", maxLiteral)
	}
	eq := StrEq{Lit: p.Str, Not: p.Op == spec.OpNe}
	switch {
	case t.Kind == debuginfo.KindString:
		pv, nv, err := b.goStringWords(r)
		if err != nil {
			return nil, err
		}
		eq.Ptr, eq.Len = pv, nv
		return eq, nil
	case t.Kind == debuginfo.KindPointer && t.Elem != nil && t.Elem.Char:
		v, err := b.em.scalar(r)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRefused, err)
		}
		eq.Ptr, eq.Kernel = v, b.in.Target.Kernel
		return eq, nil
	}
	return nil, refuse("%s is a %s, not a string", p.Path, t.Name)
}

// condFrom is the request text behind a handler's condition.
func condFrom(fs []spec.Filter) string {
	var ws []string
	for _, f := range fs {
		ws = append(ws, f.String())
	}
	return "--where " + strings.Join(ws, " --where ")
}

func fitsInt32(n int64) bool { return n >= -1<<31 && n < 1<<31 }

// goStringWords are the two words of a Go string value: its data pointer
// and its length, as the filters and statistics read them.
func (b *builder) goStringWords(r ref) (ptr, n Expr, err error) {
	p, _ := r.member("str")
	l, _ := r.member("len")
	pv, err1 := b.em.scalar(p)
	nv, err2 := b.em.scalar(l)
	if err1 != nil || err2 != nil {
		return nil, nil, refuse("string not readable here")
	}
	return pv, nv, nil
}
