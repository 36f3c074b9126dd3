package plan

import (
	"fmt"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/spec"
)

// maxLiteral keeps string literals within stap's MAXSTRINGLEN (512).
const maxLiteral = 500

// condition builds the stap condition for the request's predicates over
// the values available at a site; "" when there are none.
func (b *builder) condition(vals map[string]ref) (string, error) {
	var parts []string
	var order []string
	for k := range vals {
		order = append(order, k)
	}
	for _, pred := range b.in.Request.Where {
		r, err := resolvePath(vals, order, pred.Path)
		if err != nil {
			return "", fmt.Errorf("filter %s: %w", pred, err)
		}
		c, err := b.predicate(r, pred)
		if err != nil {
			return "", fmt.Errorf("filter %s: %w", pred, err)
		}
		parts = append(parts, c)
	}
	return strings.Join(parts, " && "), nil
}

func (b *builder) predicate(r ref, p spec.Predicate) (string, error) {
	t := r.typ
	if t == nil {
		return "", refuse("type unknown")
	}
	if !p.IsString {
		switch t.Kind {
		case debuginfo.KindInt, debuginfo.KindUint, debuginfo.KindEnum, debuginfo.KindBool, debuginfo.KindPointer:
			v, err := b.em.scalar(r)
			if err != nil {
				return "", refuse("%v", err)
			}
			return fmt.Sprintf("(%s) %s %d", v, p.Op, p.Int), nil
		}
		return "", refuse("%s is a %s; compare numbers only with numeric values", p.Path, t.Name)
	}
	if b.em.bpf {
		return "", refuse("string filters need the kernel runtime")
	}
	if strings.IndexByte(p.Str, 0) >= 0 || len(p.Str) > maxLiteral {
		return "", refuse("string literal must have no NUL byte and at most %d bytes", maxLiteral)
	}
	lit := stapString(p.Str)
	neg := ""
	if p.Op == spec.OpNe {
		neg = "!"
	}
	switch {
	case t.Kind == debuginfo.KindString:
		ptr, _ := r.member("str")
		n, _ := r.member("len")
		pv, err1 := b.em.scalar(ptr)
		nv, err2 := b.em.scalar(n)
		if err1 != nil || err2 != nil {
			return "", refuse("string not readable here")
		}
		return fmt.Sprintf("%s__sg_geq(%s, %s, %s, %d)", neg, pv, nv, lit, len(p.Str)), nil
	case t.Kind == debuginfo.KindPointer && t.Elem != nil && t.Elem.Char:
		v, err := b.em.scalar(r)
		if err != nil {
			return "", refuse("%v", err)
		}
		fn := "user_string_n"
		if b.in.Target.Kernel {
			fn = "kernel_string_n"
		}
		return fmt.Sprintf("%s(%s(%s, %d) == %s)", neg, fn, v, len(p.Str)+1, lit), nil
	}
	return "", refuse("%s is a %s, not a string", p.Path, t.Name)
}
