package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// Step is one element of a value path.
type Step struct {
	// Field is a member name; empty for an index step.
	Field string
	// Index is an array/slice/pointer index when Field is empty.
	Index int
}

// Path names a value reachable from a parameter or result:
// "name->name", "o.Flags[0]", "~r0". "->" and "." mean the same thing:
// pointers are followed automatically, as in Go.
type Path struct {
	Root  string
	Steps []Step
}

func (p Path) String() string {
	var b strings.Builder
	b.WriteString(p.Root)
	for _, s := range p.Steps {
		if s.Field != "" {
			b.WriteString(".")
			b.WriteString(s.Field)
		} else {
			fmt.Fprintf(&b, "[%d]", s.Index)
		}
	}
	return b.String()
}

// ParsePath parses a value path. Identifiers are C/Go identifiers, plus a
// leading "~" for Go's unnamed results (~r0) and "$" is not accepted: the
// plan, not the user, writes stap syntax.
func ParsePath(s string) (Path, error) {
	var p Path
	orig := s
	id, rest, ok := ident(s)
	if !ok {
		return p, invalid("value path %q: want a parameter name first", orig)
	}
	p.Root, s = id, rest
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
				return p, invalid("value path %q: want a member name after %q", orig, orig[:len(orig)-len(s)])
			}
			p.Steps = append(p.Steps, Step{Field: id})
			s = rest
		case s[0] == '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return p, invalid("value path %q: unclosed [", orig)
			}
			n, err := strconv.Atoi(s[1:end])
			if err != nil || n < 0 || n > 1<<20 {
				return p, invalid("value path %q: index %q is not a small non-negative number", orig, s[1:end])
			}
			p.Steps = append(p.Steps, Step{Index: n})
			s = s[end+1:]
		default:
			return p, invalid("value path %q: unexpected %q", orig, s)
		}
		if len(p.Steps) > 16 {
			return p, invalid("value path %q: deeper than 16 steps", orig)
		}
	}
	return p, nil
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
