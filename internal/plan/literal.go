package plan

import (
	"fmt"
	"strings"
)

// stapString quotes s as a stap string literal. Every byte outside
// printable ASCII, and the quote and backslash, is written as an octal
// escape, so the literal cannot end early, span lines, or contain "%{".
func stapString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\' || c == '%' || c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// probeName escapes a function name for .function("..."): the plan always
// names exact functions, so stap's wildcard characters are escaped.
func probeName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		switch c := name[i]; c {
		case '*', '?', '[', ']':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// pathLiteral quotes a binary path for process("..."). Paths with bytes
// that stap cannot take in a probe point are refused by checkPath.
func checkPath(p string) error {
	if p == "" || p[0] != '/' {
		return fmt.Errorf("target path %q is not absolute", p)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '*' || c == '?' || c == '[' || c == ']' {
			return fmt.Errorf("target path %q: character %q cannot appear in a stap probe point; copy or link the binary to a plain path", p, c)
		}
	}
	return nil
}
