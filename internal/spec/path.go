package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// Step is one element of a value path: a member, an index, or a cast.
type Step struct {
	// Field is a member name; empty for an index or a cast step.
	Field string
	// Index is an array/slice/pointer index when Field and Cast are empty.
	Index int
	// Cast names a type ("struct getdents_callback64", "union u", "u32"):
	// the value so far, a pointer or an address, is read as pointing to it.
	Cast string
	// Module is where the cast's type is defined: "kernel", a kernel
	// module's name; empty means the target itself.
	Module string
}

// Path names a value reachable from a parameter or result:
// "name->name", "o.Flags[0]", "~r0", "ctx:(struct getdents_callback64).count",
// "name$", "name$$". "->" and "." mean the same thing: pointers are followed
// automatically, as in Go.
type Path struct {
	Root  string
	Steps []Step
	// Whole asks for every member of the value: 1 is one level (stap's
	// $var$), 2 is nested structs too, to the request's depth (stap's
	// $var$$, at least two levels).
	Whole int
}

func (p Path) String() string {
	var b strings.Builder
	b.WriteString(p.Root)
	for _, s := range p.Steps {
		switch {
		case s.Field != "":
			b.WriteString(".")
			b.WriteString(s.Field)
		case s.Cast != "":
			b.WriteString(":(")
			b.WriteString(s.Cast)
			if s.Module != "" {
				b.WriteString("@")
				b.WriteString(s.Module)
			}
			b.WriteString(")")
		default:
			fmt.Fprintf(&b, "[%d]", s.Index)
		}
	}
	b.WriteString(strings.Repeat("$", p.Whole))
	return b.String()
}

// maxSteps bounds a path, casts included.
const maxSteps = 16

// ParsePath parses a value path. Identifiers are C/Go identifiers, plus a
// leading "~" for Go's unnamed results (~r0). A cast is written
// PATH:(TYPE) or PATH:(TYPE@MODULE), or in stap's spelling
// @cast(PATH, "TYPE"[, "MODULE"]); TYPE and MODULE are names only, so a
// path never carries stap code: the plan, not the user, writes stap syntax.
// A trailing $ or $$ asks for the whole value (stap's $var$ and $var$$).
func ParsePath(s string) (Path, error) {
	orig := s
	p, rest, err := parsePath(s, orig)
	if err != nil {
		return Path{}, err
	}
	if rest != "" {
		return Path{}, invalid("value path %q: unexpected %q", orig, rest)
	}
	return p, nil
}

// parsePath reads a path from the start of s and returns what follows it.
func parsePath(s, orig string) (Path, string, error) {
	var p Path
	if rest, ok := strings.CutPrefix(s, "@cast("); ok {
		inner, rest, err := parsePath(strings.TrimLeft(rest, " "), orig)
		if err != nil {
			return p, "", err
		}
		if inner.Whole != 0 {
			return p, "", invalid("value path %q: $ goes at the end of the whole path, not inside @cast", orig)
		}
		cast, rest, err := castArgs(rest, orig)
		if err != nil {
			return p, "", err
		}
		p = inner
		p.Steps = append(p.Steps, cast)
		s = rest
	} else {
		id, rest, ok := ident(s)
		if !ok {
			return p, "", invalid("value path %q: want a parameter name first", orig)
		}
		p.Root, s = id, rest
	}
	for s != "" {
		switch {
		case strings.HasPrefix(s, "->"), strings.HasPrefix(s, "."):
			if s[0] == '-' {
				s = s[2:]
			} else {
				s = s[1:]
			}
			id, rest, ok := ident(s)
			if !ok || strings.HasPrefix(id, "~") {
				return p, "", invalid("value path %q: want a member name after %q", orig, orig[:len(orig)-len(s)])
			}
			p.Steps = append(p.Steps, Step{Field: id})
			s = rest
		case s[0] == '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return p, "", invalid("value path %q: unclosed [", orig)
			}
			n, err := strconv.Atoi(s[1:end])
			if err != nil || n < 0 || n > 1<<20 {
				return p, "", invalid("value path %q: index %q is not a small non-negative number", orig, s[1:end])
			}
			p.Steps = append(p.Steps, Step{Index: n})
			s = s[end+1:]
		case strings.HasPrefix(s, ":("):
			end := strings.IndexByte(s, ')')
			if end < 0 {
				return p, "", invalid("value path %q: unclosed :(", orig)
			}
			typ, mod, _ := strings.Cut(s[2:end], "@")
			st, err := castStep(typ, mod, orig)
			if err != nil {
				return p, "", err
			}
			p.Steps = append(p.Steps, st)
			s = s[end+1:]
		case s[0] == '$':
			n := len(s) - len(strings.TrimLeft(s, "$"))
			if n > 2 {
				return p, "", invalid("value path %q: unexpected %q", orig, s)
			}
			// Nothing follows a whole value's $; the caller checks.
			p.Whole = n
			return p, s[n:], nil
		default:
			// What follows belongs to the caller (a cast's arguments).
			return p, s, nil
		}
		if len(p.Steps) > maxSteps {
			return p, "", invalid("value path %q: deeper than %d steps", orig, maxSteps)
		}
	}
	return p, "", nil
}

// castArgs reads `, "TYPE"[, "MODULE"])` after a @cast's first argument.
func castArgs(s, orig string) (Step, string, error) {
	var args []string
	for len(args) < 2 {
		s = strings.TrimLeft(s, " ")
		rest, ok := strings.CutPrefix(s, ",")
		if !ok {
			break
		}
		rest = strings.TrimLeft(rest, " ")
		q, err := strconv.QuotedPrefix(rest)
		if err != nil || q[0] != '"' {
			return Step{}, "", invalid(`value path %q: @cast wants (PATH, "TYPE") or (PATH, "TYPE", "MODULE")`, orig)
		}
		a, _ := strconv.Unquote(q)
		args = append(args, a)
		s = rest[len(q):]
	}
	s = strings.TrimLeft(s, " ")
	rest, ok := strings.CutPrefix(s, ")")
	if len(args) == 0 || !ok {
		return Step{}, "", invalid(`value path %q: @cast wants (PATH, "TYPE") or (PATH, "TYPE", "MODULE")`, orig)
	}
	args = append(args, "")
	st, err := castStep(args[0], args[1], orig)
	return st, rest, err
}

// castStep checks a cast's type and module: a type is a name with an
// optional struct/union/enum keyword ("struct qstr", "u32"), a module a
// kernel module's name or "kernel".
func castStep(typ, mod, orig string) (Step, error) {
	typ = strings.Join(strings.Fields(typ), " ")
	name := typ
	for _, kw := range []string{"struct ", "union ", "enum "} {
		if n, ok := strings.CutPrefix(typ, kw); ok {
			name = n
			break
		}
	}
	if !isTypeName(name) {
		return Step{}, invalid("value path %q: cast type %q: want a type name such as \"struct getdents_callback64\"", orig, typ)
	}
	if mod != "" && !isModuleName(mod) {
		return Step{}, invalid("value path %q: cast module %q: want \"kernel\" or a kernel module's name", orig, mod)
	}
	return Step{Cast: typ, Module: mod}, nil
}

func isTypeName(s string) bool {
	id, rest, ok := ident(s)
	return ok && rest == "" && !strings.HasPrefix(id, "~")
}

func isModuleName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func ident(s string) (id, rest string, ok bool) {
	i := 0
	if i < len(s) && s[i] == '~' {
		i++
	}
	start := i
	for i < len(s) {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || (i > start && c >= '0' && c <= '9') {
			i++
			continue
		}
		break
	}
	if i == start || i > 256 {
		return "", s, false
	}
	return s[:i], s[i:], true
}
