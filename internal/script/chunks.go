package script

import (
	"regexp"
	"strings"
)

// hasLocals matches an assignment to one of stapgen's handler locals.
var hasLocals = regexp.MustCompile(`\b__sg_[a-z]+ = `)

// stapbpf writes a handler's prints in the order its per-CPU perf buffers
// are read, so the prints of one record can be split by another CPU's. It
// keeps each single print whole. Under BPF every print therefore starts
// with "\037CPU|" and ends with "\036", and the decoder (event.Schema.Chunked) puts each CPU's
// pieces back together.
const chunkTag = `\037%ld|`

// chunkEnd closes a piece, so that text from elsewhere on the same stream
// (the -c command's output, when records come back on stap's stdout) is
// not taken for part of it.
const chunkEnd = `\036`

// tagPrints rewrites every print("…") and printf("…", …) in handler code
// so its output starts with the CPU tag. The code is stapgen's own: prints
// only ever take a string literal first.
//
// Both ways of passing the CPU fit BPF's 512-byte stack only in some
// handlers (stapbpf's register allocator decides): a handler that already
// keeps locals fits with the CPU read once into one more, the others with a
// cpu() call per print. TestRenderedScriptsPassStap compiles both shapes.
func tagPrints(src string) string {
	cpu := "cpu()"
	if hasLocals.MatchString(src) {
		cpu = "__sg_c"
		if i := strings.Index(src, "\n{\n"); i >= 0 {
			src = src[:i+3] + "\t__sg_c = cpu()\n" + src[i+3:]
		}
	}
	var b strings.Builder
	for {
		i, name := nextPrint(src)
		if i < 0 {
			b.WriteString(src)
			return b.String()
		}
		b.WriteString(src[:i])
		lit := src[i+len(name)+1:] // from the opening quote
		end := literalEnd(lit)
		if end < 0 {
			b.WriteString(src[i:])
			return b.String()
		}
		body := lit[1:end]
		rest := lit[end+1:]
		if name == "print" {
			body = strings.ReplaceAll(body, "%", "%%")
		}
		b.WriteString(`printf("` + chunkTag + body + chunkEnd + `", ` + cpu)
		if strings.HasPrefix(rest, ",") {
			b.WriteString(",")
			rest = rest[1:]
		}
		src = rest
	}
}

// nextPrint finds the next `print("` or `printf("` that is a call, not
// part of a longer name.
func nextPrint(s string) (int, string) {
	off := 0
	for {
		i := strings.Index(s[off:], "print")
		if i < 0 {
			return -1, ""
		}
		i += off
		before := byte(' ')
		if i > 0 {
			before = s[i-1]
		}
		ident := before == '_' || before >= 'a' && before <= 'z' || before >= 'A' && before <= 'Z' || before >= '0' && before <= '9'
		switch {
		case !ident && strings.HasPrefix(s[i:], `printf("`):
			return i, "printf"
		case !ident && strings.HasPrefix(s[i:], `print("`):
			return i, "print"
		}
		off = i + len("print")
	}
}

// literalEnd is the index of the quote closing the stap string literal
// that s starts with, -1 if none.
func literalEnd(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}
