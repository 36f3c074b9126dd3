package script

import (
	"bytes"
	"strings"
)

// fromTag starts the comment line that names the request text behind the
// lines after it, up to the next such line: a function or line the user
// named, a --fields path, a --where filter.
const fromTag = "# from: "

func fromLine(what string) string {
	return fromTag + strings.NewReplacer("\n", " ", "\r", " ").Replace(what)
}

// OriginAt returns the request text behind line n (1-based) of a rendered
// script, as its nearest from-comment above says; ok is false for a line
// that no request text produced (the helpers, the header).
func OriginAt(script []byte, n int) (what string, ok bool) {
	lines := bytes.Split(script, []byte("\n"))
	if n < 1 || n > len(lines) {
		return "", false
	}
	for i := n - 1; i >= 0; i-- {
		l := bytes.TrimSpace(lines[i])
		if s, found := bytes.CutPrefix(l, []byte(fromTag)); found {
			return string(s), true
		}
		if bytes.HasPrefix(l, []byte("function ")) || bytes.HasPrefix(l, []byte("global ")) {
			return "", false
		}
	}
	return "", false
}
