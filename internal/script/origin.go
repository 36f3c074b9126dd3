package script

import (
	"bytes"
	"slices"
	"strings"
)

// fromTag starts the comment line that names the request text behind the
// lines after it, up to the next such line: a function or line the user
// named, a --fields path, a --where filter. Values that share a print
// stack their from-lines above it.
const fromTag = "# from: "

func fromLine(what string) string {
	return fromTag + strings.NewReplacer("\n", " ", "\r", " ").Replace(what)
}

// OriginAt returns the request text behind line n (1-based) of a rendered
// script, as its nearest from-comments above say; ok is false for a line
// that no request text produced (the helpers, the header). When several
// values share the line, ident (the identifier stap names, "$x" or "x")
// picks the one whose path starts with it; failing that, all of them are
// named, joined by " or ", since any of them may hold the read.
func OriginAt(script []byte, n int, ident string) (what string, ok bool) {
	lines := bytes.Split(script, []byte("\n"))
	if n < 1 || n > len(lines) {
		return "", false
	}
	var stack []string
	for i := n - 1; i >= 0; i-- {
		l := bytes.TrimSpace(lines[i])
		if s, found := bytes.CutPrefix(l, []byte(fromTag)); found {
			stack = append(stack, string(s))
			continue
		}
		if len(stack) > 0 {
			break
		}
		if bytes.HasPrefix(l, []byte("function ")) || bytes.HasPrefix(l, []byte("global ")) {
			return "", false
		}
	}
	switch len(stack) {
	case 0:
		return "", false
	case 1:
		return stack[0], true
	}
	// Scanning upward met the comments last first.
	for i, j := 0, len(stack)-1; i < j; i, j = i+1, j-1 {
		stack[i], stack[j] = stack[j], stack[i]
	}
	ident = strings.TrimPrefix(ident, "$")
	for _, s := range stack {
		if ident != "" && pathRoot(s) == ident {
			return s, true
		}
	}
	return strings.Join(slices.Compact(stack), " or "), true
}

// pathRoot is the variable a from-text's field path starts with: "name"
// for "--fields name->len", "who" for "the default field who".
func pathRoot(from string) string {
	p := from[strings.LastIndexByte(from, ' ')+1:]
	end := strings.IndexFunc(p, func(r rune) bool {
		return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	})
	if end < 0 {
		return p
	}
	return p[:end]
}
