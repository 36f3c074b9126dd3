package spec

import (
	"fmt"
	"slices"
	"strings"
)

// FilterExpr is a filter condition: a Predicate, or All, Any or Not of
// other conditions.
type FilterExpr interface {
	isFilterExpr()
	String() string
}

// All holds when every part holds (&&).
type All []FilterExpr

// Any holds when some part holds (||).
type Any []FilterExpr

// Not holds when X does not (!).
type Not struct{ X FilterExpr }

func (All) isFilterExpr() {}
func (Any) isFilterExpr() {}
func (Not) isFilterExpr() {}

func (a All) String() string {
	var parts []string
	for _, x := range a {
		s := x.String()
		if _, ok := x.(Any); ok {
			s = "(" + s + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " && ")
}

func (a Any) String() string {
	var parts []string
	for _, x := range a {
		parts = append(parts, x.String())
	}
	return strings.Join(parts, " || ")
}

func (n Not) String() string {
	switch x := n.X.(type) {
	case Not:
		return "!" + x.String()
	case Predicate:
		if x.Truth && !x.HasMask {
			return "!" + x.String()
		}
	}
	return "!(" + n.X.String() + ")"
}

// Filter is one --where: a condition, for every probed function or, with
// Func, for the functions that name matches (`FUNC { CONDITION }`).
type Filter struct {
	Func string
	Expr FilterExpr
}

func (f Filter) String() string {
	if f.Func != "" {
		return f.Func + " { " + f.Expr.String() + " }"
	}
	return f.Expr.String()
}

// Roots are the parameter and result names the condition reads, in order
// of first use.
func Roots(e FilterExpr) []string {
	var out []string
	var walk func(FilterExpr)
	walk = func(e FilterExpr) {
		switch e := e.(type) {
		case Predicate:
			if !slices.Contains(out, e.Path.Root) {
				out = append(out, e.Path.Root)
			}
		case All:
			for _, x := range e {
				walk(x)
			}
		case Any:
			for _, x := range e {
				walk(x)
			}
		case Not:
			walk(e.X)
		}
	}
	walk(e)
	return out
}

// Bounds on a filter: it is typed on a command line, and every test is a
// branch of a probe handler (BPF's verifier counts them).
const (
	maxFilterLen   = 4096
	maxFilterDepth = 32
	maxFilterTests = 64
)

// ParseFilter parses one --where:
//
//	CONDITION | FUNCTION { CONDITION }
//	CONDITION = OR;  OR = AND {"||" AND};  AND = UNARY {"&&" UNARY}
//	UNARY = "!" "(" OR ")" | "!" PATH | PRIMARY
//	PRIMARY = "(" OR ")" [OP VALUE] | PATH ["&" INT] [OP VALUE]
//
// OP is one of == != < <= > >=, VALUE an integer (decimal, 0x, 0o, 0b) or
// a Go-syntax quoted string, PATH a value path (ParsePath). A comparison
// after "(...)" needs a path or mask inside: (flags & 3) == 2. Nothing but
// paths, integers and strings is accepted, so a filter never carries stap
// code, and where C's precedence would surprise (flags & 3 == 2, !x == 2)
// the parser asks for parentheses instead of guessing.
func ParseFilter(s string) (Filter, error) {
	if len(s) > maxFilterLen {
		return Filter{}, invalid("filter longer than %d bytes", maxFilterLen)
	}
	p := &parser{s: s, end: len(s)}
	var f Filter
	if fn, open, close, ok := perFunction(s); ok {
		f.Func = strings.TrimSpace(s[:open])
		if close < 0 {
			return Filter{}, p.fail(len(s), "want } closing the condition of %s { ... }", f.Func)
		}
		if f.Func == "" {
			return Filter{}, p.fail(open, "want a function name before {: FUNCTION { CONDITION }")
		}
		if err := ValidateFunctionPattern(fn); err != nil {
			return Filter{}, fmt.Errorf("filter %q: %w", s, err)
		}
		p.pos, p.end = open+1, close
	}
	p.space()
	if p.pos == p.end {
		return Filter{}, p.fail(p.pos, "empty condition")
	}
	x, err := p.or()
	if err != nil {
		return Filter{}, err
	}
	if p.space(); p.pos != p.end {
		return Filter{}, p.fail(p.pos, "want && or || between conditions, found %s", p.found())
	}
	f.Expr = x
	return f, nil
}

// perFunction finds the braces of `FUNCTION { CONDITION }`: the first {
// outside a Go generic's [...] and before any quote (a condition's string
// may hold braces). close is -1 when the last non-blank byte is not }.
func perFunction(s string) (fn string, open, close int, ok bool) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '"', '`':
			return "", 0, 0, false
		case '{':
			if depth > 0 {
				continue
			}
			t := strings.TrimRight(s, " \t\r\n")
			close = len(t) - 1
			if close <= i || t[close] != '}' {
				close = -1
			}
			return strings.TrimSpace(s[:i]), i, close, true
		}
	}
	return "", 0, 0, false
}
