package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// parser reads a filter by recursive descent: || over && over ! and
// parentheses over the tests, whose leaves are paths (path.go).
type parser struct {
	s        string
	pos, end int
	depth    int
	tests    int
}

func (p *parser) fail(at int, format string, args ...any) error {
	return invalid("filter %q: at column %d: %s", p.s, at+1, fmt.Sprintf(format, args...))
}

func (p *parser) space() {
	for p.pos < p.end && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

// found names what is at the position, for messages.
func (p *parser) found() string {
	if p.pos >= p.end {
		return "the end"
	}
	t := p.s[p.pos:p.end]
	if len(t) > 16 {
		t = t[:16] + "…"
	}
	return strconv.Quote(t)
}

// operators, longest first so "&&" is not read as "&", "!=" not as "!".
var operators = []string{"||", "&&", "==", "!=", "<=", ">=", "<", ">", "!", "&", "(", ")"}

// peek is the operator at the position, "" when none.
func (p *parser) peek() string {
	p.space()
	rest := p.s[p.pos:p.end]
	for _, op := range operators {
		if strings.HasPrefix(rest, op) {
			return op
		}
	}
	return ""
}

func (p *parser) accept(op string) bool {
	if p.peek() == op {
		p.pos += len(op)
		return true
	}
	return false
}

func relOp(op string) bool {
	switch Op(op) {
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
		return true
	}
	return false
}

func (p *parser) nest(at int) error {
	if p.depth++; p.depth > maxFilterDepth {
		return p.fail(at, "nested deeper than %d", maxFilterDepth)
	}
	return nil
}

func (p *parser) or() (FilterExpr, error) {
	xs, err := p.list("||", p.and)
	if len(xs) == 1 || err != nil {
		return xs[0], err
	}
	return Any(xs), nil
}

func (p *parser) and() (FilterExpr, error) {
	xs, err := p.list("&&", p.unary)
	if len(xs) == 1 || err != nil {
		return xs[0], err
	}
	return All(xs), nil
}

// list reads next {sep next}.
func (p *parser) list(sep string, next func() (FilterExpr, error)) ([]FilterExpr, error) {
	var xs []FilterExpr
	for {
		x, err := next()
		if err != nil {
			return []FilterExpr{nil}, err
		}
		xs = append(xs, x)
		if !p.accept(sep) {
			return xs, nil
		}
	}
}

func (p *parser) unary() (FilterExpr, error) {
	at := p.pos
	if !p.accept("!") {
		return p.primary()
	}
	if err := p.nest(at); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	if p.peek() == "(" || p.peek() == "!" {
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return Not{x}, nil
	}
	// A bare path only: C reads !x == 2 as (!x) == 2 and !x & 4 as
	// (!x) & 4, which is rarely what is meant.
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	if pr, ok := x.(Predicate); !ok || !pr.Truth || pr.HasMask {
		return nil, p.fail(at, "after !, write a path or a condition in parentheses: !(%s)", x)
	}
	return Not{x}, nil
}

func (p *parser) primary() (FilterExpr, error) {
	at := p.pos
	if p.accept("(") {
		if err := p.nest(at); err != nil {
			return nil, err
		}
		x, err := p.or()
		p.depth--
		if err != nil {
			return nil, err
		}
		if !p.accept(")") {
			return nil, p.fail(p.pos, "want ) closing the ( at column %d, found %s", at+1, p.found())
		}
		if op := p.peek(); relOp(op) {
			pr, ok := x.(Predicate)
			if !ok || !pr.Truth {
				return nil, p.fail(p.pos, "%s compares a value, and (%s) is a condition; compare a path or a mask: (flags & 3) == 2", op, x)
			}
			return p.compare(pr)
		}
		return x, nil
	}
	return p.test()
}

// test reads PATH ["&" INT] [OP VALUE].
func (p *parser) test() (FilterExpr, error) {
	p.space()
	at := p.pos
	if p.tests++; p.tests > maxFilterTests {
		return nil, p.fail(at, "more than %d tests in one filter", maxFilterTests)
	}
	if p.pos == p.end || p.peek() != "" || strings.IndexByte("\"`-+0123456789", p.s[p.pos]) >= 0 {
		return nil, p.fail(at, "want a parameter path (a name such as flags, name->len, return), found %s", p.found())
	}
	text := p.s[p.pos:p.end]
	path, rest, err := parsePath(text, text)
	if err != nil {
		return nil, fmt.Errorf("filter %q: at column %d: %w", p.s, at+1, err)
	}
	if path.Whole != 0 {
		return nil, p.fail(at, "a whole value ($) cannot be compared; name a member")
	}
	p.pos += len(text) - len(rest)
	pr := Predicate{Path: path, Truth: true, Op: OpNe}
	if p.accept("&") {
		n, err := p.integer("a mask")
		if err != nil {
			return nil, err
		}
		pr.HasMask, pr.Mask = true, n
		if op := p.peek(); relOp(op) {
			// C binds == before &: flags & 3 == 2 is flags & (3 == 2).
			return nil, p.fail(p.pos, "write (%s) %s VALUE: in C, %s binds before &", pr, op, op)
		}
		return pr, nil
	}
	if relOp(p.peek()) {
		return p.compare(pr)
	}
	if op := p.peek(); op == "" && p.pos < p.end {
		return nil, p.fail(p.pos, "want an operator (== != < <= > >= & && ||) after %s, found %s", path, p.found())
	}
	return pr, nil
}

// compare reads OP VALUE after the left side pr.
func (p *parser) compare(pr Predicate) (FilterExpr, error) {
	op := Op(p.peek())
	p.pos += len(op)
	pr.Truth, pr.Op = false, op
	p.space()
	if p.pos < p.end && (p.s[p.pos] == '"' || p.s[p.pos] == '`') {
		at := p.pos
		q, err := strconv.QuotedPrefix(p.s[p.pos:p.end])
		if err != nil {
			return nil, p.fail(at, "bad string literal %s", p.found())
		}
		str, _ := strconv.Unquote(q)
		p.pos += len(q)
		if op != OpEq && op != OpNe {
			return nil, p.fail(at, "strings compare only with == or !=")
		}
		if pr.HasMask {
			return nil, p.fail(at, "a mask is a number; compare it with an integer")
		}
		pr.IsString, pr.Str = true, str
		return pr, nil
	}
	n, err := p.integer("a value (an integer or a quoted string)")
	if err != nil {
		return nil, err
	}
	pr.Int = n
	return pr, nil
}

// integer reads an integer literal: decimal, 0x, 0o/0, 0b, signed;
// unsigned 64-bit values past int64 keep their bits.
func (p *parser) integer(what string) (int64, error) {
	p.space()
	at, i := p.pos, p.pos
	if i < p.end && (p.s[i] == '-' || p.s[i] == '+') {
		i++
	}
	for i < p.end {
		c := p.s[i]
		if c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			i++
			continue
		}
		break
	}
	lit := p.s[at:i]
	if lit == "" {
		return 0, p.fail(at, "want %s, found %s", what, p.found())
	}
	n, err := strconv.ParseInt(lit, 0, 64)
	if err != nil {
		u, uerr := strconv.ParseUint(lit, 0, 64)
		if uerr != nil {
			if _, _, ok := ident(lit); ok && lit[0] != '-' && lit[0] != '+' {
				return 0, p.fail(at, "want %s, found the name %s: constants' names are not known, write the number", what, lit)
			}
			return 0, p.fail(at, "want %s, found %q", what, lit)
		}
		n = int64(u)
	}
	p.pos = i
	return n, nil
}
