package script

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
