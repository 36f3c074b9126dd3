package spec

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// A probe file holds a Request in a line format, one directive a line:
//
//	# comment
//	probe FUNCTION [entry] [return] [PATH...]
//	where CONDITION
//	where FUNCTION { CONDITION }
//	limit strlen|elems|depth N
//	process NAME
//	backtrace kernel|user
//	aggregate count|latency|sum:PATH|top:PATH [by PATH] [keys N]
//	runtime kernel|bpf
//
// Words are separated by blanks; a word may be a Go-syntax quoted string.
// A where line is a filter as --where takes it (ParseFilter): CONDITION
// (flags & 0x40 || (mode & 3) == 2, !(name == "x"), return < 0) applies
// to every probed function, and all where lines must hold; FUNCTION {
// CONDITION } applies to the functions FUNCTION names (a name or glob of
// a probe line, or a function it matched) and to no other.
// Metadata for the catalog (name, description, target) uses "# key: value"
// comments in the file's first lines and is returned by ParseFile.

// MaxFileSize bounds what ParseFile reads.
const MaxFileSize = 1 << 20

// FileError locates a problem in a probe file.
type FileError struct {
	Name string
	Line int
	Err  error
}

func (e *FileError) Error() string { return fmt.Sprintf("%s:%d: %v", e.Name, e.Line, e.Err) }
func (e *FileError) Unwrap() error { return e.Err }

// File is a parsed probe file.
type File struct {
	Request Request
	// Meta holds "# key: value" header comments (lower-case keys).
	Meta map[string]string
}

// ParseFile reads a probe file. name is used in error messages.
func ParseFile(r io.Reader, name string) (*File, error) {
	f := &File{Meta: map[string]string{}}
	sc := bufio.NewScanner(io.LimitReader(r, MaxFileSize+1))
	sc.Buffer(make([]byte, 4096), 64*1024)
	header, n, size := true, 0, 0
	for sc.Scan() {
		n++
		line := sc.Text()
		size += len(line) + 1
		if size > MaxFileSize {
			return nil, &FileError{name, n, invalid("file larger than %d bytes", MaxFileSize)}
		}
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "#") {
			if header {
				if k, v, ok := strings.Cut(strings.TrimSpace(trim[1:]), ":"); ok && isMetaKey(k) {
					f.Meta[strings.ToLower(k)] = strings.TrimSpace(v)
				}
			}
			continue
		}
		if trim == "" {
			continue
		}
		header = false
		words, err := splitWords(trim)
		if err == nil {
			err = f.directive(words, trim)
		}
		if err != nil {
			return nil, &FileError{name, n, err}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &FileError{name, n + 1, invalid("%v", err)}
	}
	return f, nil
}

func isMetaKey(k string) bool {
	if k == "" || len(k) > 32 {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// directive applies one line: w are its words, line the line as written
// (a filter's quoted value must keep its quotes).
func (f *File) directive(w []string, line string) error {
	r := &f.Request
	arg := func(n int) error {
		if len(w) != n+1 {
			return invalid("%s takes %d argument(s), got %d", w[0], n, len(w)-1)
		}
		return nil
	}
	switch w[0] {
	case "probe":
		if len(w) < 2 {
			return invalid("probe needs a function name")
		}
		p := Probe{Function: w[1]}
		if err := ValidateFunctionPattern(p.Function); err != nil {
			return err
		}
		for _, x := range w[2:] {
			switch x {
			case "entry":
				p.Entry = true
			case "return":
				p.Return = true
			default:
				path, err := ParsePath(x)
				if err != nil {
					return err
				}
				p.Fields = append(p.Fields, path)
			}
		}
		r.Probes = append(r.Probes, p)
	case "where":
		f, err := ParseFilter(strings.TrimSpace(line[len(w[0]):]))
		if err != nil {
			return err
		}
		r.Where = append(r.Where, f)
	case "limit":
		if err := arg(2); err != nil {
			return err
		}
		n, err := strconv.Atoi(w[2])
		if err != nil {
			return invalid("limit %s: %q is not a number", w[1], w[2])
		}
		switch w[1] {
		case "strlen":
			r.Limits.StringLen = n
		case "elems":
			r.Limits.Elems = n
		case "depth":
			r.Limits.Depth = n
		default:
			return invalid("unknown limit %q: want strlen, elems or depth", w[1])
		}
	case "process":
		if err := arg(1); err != nil {
			return err
		}
		r.Process = w[1]
	case "backtrace":
		if len(w) < 2 {
			return invalid("backtrace needs kernel and/or user")
		}
		for _, x := range w[1:] {
			switch x {
			case "kernel":
				r.KernelStack = true
			case "user":
				r.UserStack = true
			default:
				return invalid("backtrace %q: want kernel or user", x)
			}
		}
	case "aggregate":
		return r.aggregateDirective(w[1:])
	case "runtime":
		if err := arg(1); err != nil {
			return err
		}
		r.Runtime = Runtime(w[1])
	default:
		return invalid("unknown directive %q", w[0])
	}
	return nil
}

// splitWords splits on blanks, honouring Go-syntax quoted words.
func splitWords(s string) ([]string, error) {
	var out []string
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return out, nil
		}
		if s[0] == '"' || s[0] == '`' {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, invalid("unterminated or bad quoted word: %s", s)
			}
			w, _ := strconv.Unquote(q)
			out = append(out, w)
			s = s[len(q):]
			continue
		}
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		w := s[:end]
		// A predicate's quoted value may follow an operator without a blank.
		if i := strings.IndexAny(w, "\"`"); i > 0 {
			q, err := strconv.QuotedPrefix(s[i:])
			if err != nil {
				return nil, invalid("bad quoted word: %s", s)
			}
			out = append(out, s[:i]+q)
			s = s[i+len(q):]
			continue
		}
		out = append(out, w)
		s = s[end:]
	}
}
