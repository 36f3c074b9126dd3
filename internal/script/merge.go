package script

import "strings"

// stapbpf sends each print as perf events: one to start it, one for its
// format, one per argument and one to end it. The events are what a probe
// hit costs the traced program (bench/cost.sh: about 7 µs each on the
// host), so a BPF handler's adjacent unconditional prints of one record
// are merged into one: the record head with the fixed-size values after
// it, and the last of them with the tail. The merged print is a bigger
// piece of the same CPU's record, which the decoder joins as before.

// bpfPrint is one line that holds a single tagged print and nothing else:
// printf("\037%ld|FMT\036", CPU, ARGS).
type bpfPrint struct {
	indent, fmt, cpu string
	args             []string
}

const (
	bpfPrintHead = `printf("\037%ld|`
	bpfPrintEnd  = `\036", `
	// bpfMergeCost bounds a merged print's arguments plus its user-memory
	// reads, which stapbpf keeps on the handler's 512-byte stack: a print
	// of eight words and the record head does not compile (stap 4.8).
	bpfMergeCost = 10
)

// parseBPFPrint recognizes a print line the BPF templates write; any other
// line (a condition, several statements) is left alone.
func parseBPFPrint(line string) (bpfPrint, bool) {
	body := strings.TrimLeft(line, "\t")
	p := bpfPrint{indent: line[:len(line)-len(body)]}
	if !strings.HasPrefix(body, bpfPrintHead) || !strings.HasSuffix(body, ")") {
		return p, false
	}
	body = body[len(bpfPrintHead) : len(body)-1]
	i := strings.Index(body, bpfPrintEnd)
	if i < 0 || strings.Contains(body[:i], `"`) {
		return p, false
	}
	p.fmt = body[:i]
	args, ok := splitArgs(body[i+len(bpfPrintEnd):])
	if !ok || len(args) == 0 {
		return p, false
	}
	p.cpu, p.args = args[0], args[1:]
	return p, true
}

// splitArgs splits a call's argument list at its top-level commas; it
// fails on a list that closes more than it opens or holds a string
// literal, which the merged prints never carry.
func splitArgs(s string) ([]string, bool) {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"', ';':
			return nil, false
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return nil, false
			}
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, false
	}
	return append(out, strings.TrimSpace(s[start:])), true
}

func (p bpfPrint) cost() int {
	n := len(p.args)
	for _, a := range p.args {
		n += strings.Count(a, "user_")
	}
	return n
}

func (p bpfPrint) String() string {
	return p.indent + bpfPrintHead + p.fmt + bpfPrintEnd + strings.Join(append([]string{p.cpu}, p.args...), ", ") + ")"
}

// mergeBPFPrints merges a handler's adjacent print lines (comment lines
// between them stay, above the merged print).
func mergeBPFPrints(handler string) string {
	lines := strings.Split(handler, "\n")
	out := make([]string, 0, len(lines))
	last := -1 // index in out of the print line merged into, or -1
	var cur bpfPrint
	for _, l := range lines {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "#") {
			out = append(out, l)
			continue
		}
		p, ok := parseBPFPrint(l)
		if ok && last >= 0 && p.indent == cur.indent && p.cpu == cur.cpu && cur.cost()+p.cost() <= bpfMergeCost {
			cur.fmt += p.fmt
			cur.args = append(cur.args, p.args...)
			out = append(out[:last], out[last+1:]...)
			out = append(out, cur.String())
			last = len(out) - 1
			continue
		}
		// A print that is the body of the line before it (an if without
		// braces) takes nothing after it.
		if ok && !dangling(out) {
			cur, last = p, len(out)
		} else {
			last = -1
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// dangling tells whether the last line that is not a comment opens a
// statement (if, else, for, while) whose body is the next line.
func dangling(out []string) bool {
	for i := len(out) - 1; i >= 0; i-- {
		t := strings.TrimSpace(out[i])
		if strings.HasPrefix(t, "#") {
			continue
		}
		if t == "else" {
			return true
		}
		t = strings.TrimPrefix(t, "else ")
		if !strings.HasPrefix(t, "if (") && !strings.HasPrefix(t, "for (") && !strings.HasPrefix(t, "while (") {
			return false
		}
		open := strings.IndexByte(t, '(')
		depth := 0
		for j := open; j < len(t); j++ {
			switch t[j] {
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					return j == len(t)-1
				}
			}
		}
		return false
	}
	return false
}
