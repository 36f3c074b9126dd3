package plan

import (
	"fmt"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/spec"
)

// maxLiteral keeps string literals within stap's MAXSTRINGLEN (512).
const maxLiteral = 500

// condition is the request's predicates over the values available at a
// site; nil when there are none.
func (b *builder) condition(vals map[string]ref) (Cond, error) {
	var parts And
	var order []string
	for k := range vals {
		order = append(order, k)
	}
	for _, pred := range b.in.Request.Where {
		r, err := b.resolvePath(vals, order, pred.Path)
		if err != nil {
			return nil, fmt.Errorf("filter %s: %w", pred, err)
		}
		c, err := b.predicate(r, pred)
		if err != nil {
			return nil, fmt.Errorf("filter %s: %w", pred, err)
		}
		parts = append(parts, c)
	}
	if len(parts) == 0 {
		return nil, nil
	}
	return parts, nil
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
		ptr, _ := r.member("str")
		n, _ := r.member("len")
		pv, err1 := b.em.scalar(ptr)
		nv, err2 := b.em.scalar(n)
		if err1 != nil || err2 != nil {
			return nil, refuse("string not readable here")
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
