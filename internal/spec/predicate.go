package spec

import (
	"strconv"
	"strings"
)

// Op is a comparison operator of a predicate.
type Op string

const (
	OpEq Op = "=="
	OpNe Op = "!="
	OpLt Op = "<"
	OpLe Op = "<="
	OpGt Op = ">"
	OpGe Op = ">="
)

// Predicate is "PATH OP LITERAL", e.g. `flags > 0`, `name->name == "foo"`.
type Predicate struct {
	Path Path
	Op   Op
	// Exactly one literal kind is set: IsString selects Str, else Int.
	IsString bool
	Str      string
	Int      int64
}

func (p Predicate) String() string {
	if p.IsString {
		return p.Path.String() + " " + string(p.Op) + " " + strconv.Quote(p.Str)
	}
	return p.Path.String() + " " + string(p.Op) + " " + strconv.FormatInt(p.Int, 10)
}

// ParsePredicate parses one filter. The literal is a Go-syntax quoted string
// or an integer (decimal, 0x hex, 0o/0 octal); nothing else is accepted, so a
// filter can never carry stap code.
func ParsePredicate(s string) (Predicate, error) {
	var p Predicate
	s = strings.TrimSpace(s)
	i := opIndex(s)
	if i <= 0 {
		return p, invalid("filter %q: want PATH OP VALUE with OP one of == != < <= > >=", s)
	}
	path, err := ParsePath(strings.TrimSpace(s[:i]))
	if err != nil {
		return p, err
	}
	if path.Whole != 0 {
		return p, invalid("filter %q: a whole value ($) cannot be compared; name a member", s)
	}
	p.Path = path
	rest := s[i:]
	for _, op := range []Op{OpEq, OpNe, OpLe, OpGe, OpLt, OpGt} {
		if strings.HasPrefix(rest, string(op)) {
			p.Op = op
			rest = strings.TrimSpace(rest[len(op):])
			break
		}
	}
	if p.Op == "" {
		return p, invalid("filter %q: unknown operator", s)
	}
	if rest == "" {
		return p, invalid("filter %q: missing value", s)
	}
	if rest[0] == '"' || rest[0] == '`' {
		str, err := strconv.Unquote(rest)
		if err != nil {
			return p, invalid("filter %q: bad string literal %s", s, rest)
		}
		if p.Op != OpEq && p.Op != OpNe {
			return p, invalid("filter %q: strings compare only with == or !=", s)
		}
		p.IsString, p.Str = true, str
		return p, nil
	}
	n, err := strconv.ParseInt(rest, 0, 64)
	if err != nil {
		u, uerr := strconv.ParseUint(rest, 0, 64)
		if uerr != nil {
			return p, invalid("filter %q: value %q is neither a quoted string nor an integer", s, rest)
		}
		n = int64(u)
	}
	p.Int = n
	return p, nil
}

// opIndex finds the operator, skipping the "->" of a member path.
func opIndex(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case '"', '`':
			// A @cast's quoted type is part of the path.
			q, err := strconv.QuotedPrefix(s[i:])
			if depth <= 0 || err != nil {
				return -1
			}
			i += len(q) - 1
		case '=', '!', '<':
			return i
		case '>':
			if i > 0 && s[i-1] == '-' {
				continue
			}
			return i
		}
	}
	return -1
}
