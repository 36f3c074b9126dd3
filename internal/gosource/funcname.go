package gosource

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// closureName is the compiler's name for a function literal.
var closureName = regexp.MustCompile(`^func(\d+)$`)

// closureIndex is N for "funcN", 0 for anything else.
func closureIndex(s string) int {
	m := closureName.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// funcName is a function table name taken apart: "main.(*T).M" is
// package "main", receiver T (pointer), method "M".
type funcName struct {
	pkg     string // import path, %2e unescaped
	recv    string // base type name of the receiver, "" for a function
	ptrRecv bool
	name    string // function or method name
	// rest is "T.M" for a name that is a method on a value receiver or a
	// closure (F.func1); which one needs the package's declarations.
	rest string
	// closure is N for the function literal "F.funcN" of F (or of
	// method rest or recv.name), 0 for the function itself.
	closure int
}

// promotedCut finds where a package path really ends when the symbol
// part holds slashes of its own: an unexported method promoted from
// another package is "text/template.Template.text/template/parse.newIf".
// Past the first element (a domain) and an element after "vendor/",
// import path elements have no unescaped dots, so the first such dot
// ends the path. A one-element standard package with such a method
// ("fmt.pp.internal/x.m") is read as a domain: not handled.
func promotedCut(path string, dot int) int {
	elems := strings.Split(path, "/")
	off := 0
	for i, e := range elems {
		if i > 0 && elems[i-1] != "vendor" {
			if d := strings.IndexByte(e, '.'); d >= 0 {
				return off + d
			}
		}
		off += len(e) + 1
	}
	return dot
}

// UnsupportedError says why a function has no signature in source:
// generic shape instantiations, closures, compiler-generated wrappers.
type UnsupportedError struct {
	Func, Reason string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s: no source signature: %s", e.Func, e.Reason)
}

// parseFuncName splits a function table name. The package path ends at
// the first '.' after its last '/'; the linker escapes dots in the last
// path element ("gopkg.in/yaml%2ev3.Marshal").
func parseFuncName(full string) (funcName, error) {
	var fn funcName
	bad := func(reason string) (funcName, error) { return fn, &UnsupportedError{Func: full, Reason: reason} }
	if strings.HasPrefix(full, "go.") || strings.HasPrefix(full, "go:") || strings.HasPrefix(full, "type.") ||
		strings.HasPrefix(full, "type:") || strings.Contains(full, "struct {") || strings.Contains(full, "·") {
		return bad("compiler-generated method of an anonymous or function-local type")
	}
	head := full
	if i := strings.IndexByte(head, '['); i >= 0 {
		head = head[:i]
	}
	slash := strings.LastIndexByte(head, '/')
	dot := strings.IndexByte(head[slash+1:], '.')
	if dot < 0 {
		return bad("not a package-qualified Go name")
	}
	dot += slash + 1
	dot = promotedCut(full[:dot], dot)
	pkg, err := url.PathUnescape(full[:dot])
	if err != nil {
		return bad("bad package path escape")
	}
	fn.pkg = pkg
	rest := full[dot+1:]
	if strings.Contains(rest, "[") {
		return bad("generic function (shape instantiations share one body; use --signature)")
	}
	if strings.HasSuffix(rest, "-fm") || strings.Contains(rest, ".gowrap") || strings.Contains(rest, ".deferwrap") {
		return bad("compiler-generated wrapper")
	}
	if strings.HasPrefix(rest, "(") {
		end := strings.Index(rest, ").")
		if end < 0 {
			return bad("malformed method name")
		}
		r := rest[1:end]
		fn.ptrRecv = strings.HasPrefix(r, "*")
		fn.recv = strings.TrimPrefix(r, "*")
		fn.name = rest[end+2:]
		if strings.Contains(fn.name, "/") { // (*T).other/pkg.m, promoted
			fn.name = fn.name[strings.LastIndexByte(fn.name, '.')+1:]
		}
		if m, n, ok := strings.Cut(fn.name, "."); ok {
			if fn.closure = closureIndex(n); fn.closure == 0 || strings.Contains(m, ".") {
				return bad("nested closure or compiler-generated function")
			}
			fn.name = m
		}
		return fn, nil
	}
	if i := strings.IndexByte(rest, '.'); i >= 0 && strings.Contains(rest[i:], "/") {
		// T.other/pkg.m: a method of T promoted from an embedded
		// type of other/pkg.
		rest = rest[:i] + rest[strings.LastIndexByte(rest, '.'):]
	}
	switch parts := strings.Split(rest, "."); len(parts) {
	case 1:
		fn.name = parts[0]
	case 2:
		if fn.closure = closureIndex(parts[1]); fn.closure > 0 {
			// F.func1; a method named func1 would be read the same way.
			fn.name = parts[0]
			break
		}
		fn.rest = rest
	case 3:
		if fn.closure = closureIndex(parts[2]); fn.closure == 0 {
			return bad("nested closure or compiler-generated function")
		}
		if parts[0] == "glob" && parts[1] == "" {
			fn.name = "glob." // a package-level initialiser's literal
			break
		}
		fn.rest = parts[0] + "." + parts[1]
	default:
		return bad("nested closure or compiler-generated function")
	}
	if fn.name == "init" || fn.rest != "" && strings.HasPrefix(fn.rest, "init.") {
		return bad("package initialiser")
	}
	return fn, nil
}
