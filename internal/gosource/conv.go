package gosource

import (
	"go/ast"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
)

// maxDepth bounds type and constant recursion; cycles of named types
// close through the cache, so only hostile or invalid source gets here.
const maxDepth = 200

// maxValueSize bounds array sizes, so sizes and frames cannot overflow.
// The runtime's largest (vdso's *[1<<50 - 1]byte) fit.
const maxValueSize = 1 << 51

// typeCache holds one named type; t exists, named, before its
// underlying type is converted, so a pointer back to it
// (type Opts struct{ Next *Opts }) finds it, and define fills it in.
type typeCache struct {
	t      *debuginfo.Type
	define func()
	state  int
}

const (
	defined = iota
	pending
	defining
)

// run defines a pending named type now.
func (c *converter) run(tc *typeCache) {
	if tc.state != pending {
		return
	}
	tc.state = defining
	tc.define()
	tc.state = defined
}

// drain defines the named types that pointers, slices, maps, channels
// and funcs deferred. Their layout is not needed where they are named,
// and defining them there breaks on valid cycles such as runtime.timers,
// whose *synctestGroup holds a timers by value.
func (c *converter) drain() {
	for len(c.pending) > 0 {
		tc := c.pending[len(c.pending)-1]
		c.pending = c.pending[:len(c.pending)-1]
		c.run(tc)
	}
}

// scope converts type expressions of one file of one package. pkgs loads
// imported packages; it is nil for a --signature without source.
type scope struct {
	c *converter
	p *pkg // nil: only the universe and imported packages
	f *ast.File
	// lazy lets the named type being converted wait for drain: set
	// where only its name is needed (behind a pointer, slice, map ...).
	lazy bool
	// targs binds the type parameters of a generic type being
	// instantiated.
	targs map[string]*debuginfo.Type
	iota  int64
}

// converter shares the loaded packages and the runtime names of one
// toolchain version between the scopes of a query.
type converter struct {
	names   rt
	load    func(path string) (*pkg, error)
	pending []*typeCache
}

func (s scope) qualify(name string) string {
	if s.p == nil {
		return name
	}
	return s.p.path + "." + name
}

func (s scope) typeOf(e ast.Expr, depth int) *debuginfo.Type {
	if depth > maxDepth {
		return unknown("?", "type nesting too deep")
	}
	lazy := s.lazy
	s.lazy = false
	ref := s // for elements whose layout the parent does not need
	ref.lazy = true
	switch x := e.(type) {
	case *ast.Ident:
		s.lazy = lazy
		return s.ident(x.Name, depth)
	case *ast.SelectorExpr:
		id, ok := x.X.(*ast.Ident)
		if !ok {
			return unknown(exprString(e), "not a type name")
		}
		s.lazy = lazy
		return s.imported(id.Name, x.Sel.Name, depth)
	case *ast.ParenExpr:
		s.lazy = lazy
		return s.typeOf(x.X, depth+1)
	case *ast.StarExpr:
		return pointerTo(ref.typeOf(x.X, depth+1))
	case *ast.Ellipsis:
		return sliceOf(ref.typeOf(x.Elt, depth+1))
	case *ast.ArrayType:
		if x.Len == nil {
			return sliceOf(ref.typeOf(x.Elt, depth+1))
		}
		elem := s.typeOf(x.Elt, depth+1)
		n, ok := s.constInt(x.Len, depth+1)
		if !ok || n < 0 {
			return unknown("["+exprString(x.Len)+"]"+elem.GoName, "array length not a constant this reader evaluates")
		}
		if IsUnknown(elem) {
			return unknown("["+exprString(x.Len)+"]"+elem.GoName, "element type unknown")
		}
		if elem.Size > 0 && n > maxValueSize/elem.Size {
			return unknown("["+exprString(x.Len)+"]"+elem.GoName, "larger than any value a probe reads")
		}
		return arrayOf(elem, n)
	case *ast.MapType:
		return mapOf(ref.typeOf(x.Key, depth+1), ref.typeOf(x.Value, depth+1))
	case *ast.ChanType:
		dir := "chan "
		switch x.Dir {
		case ast.SEND:
			dir = "chan<- "
		case ast.RECV:
			dir = "<-chan "
		}
		return chanOf(dir, ref.typeOf(x.Value, depth+1))
	case *ast.FuncType:
		return funcT("func" + ref.funcString(x, depth+1))
	case *ast.InterfaceType:
		return interfaceT(ref.interfaceString(x, depth+1), x.Methods == nil || len(x.Methods.List) == 0, s.c.names)
	case *ast.StructType:
		return s.structOf(x, depth+1)
	case *ast.IndexExpr:
		s.lazy = lazy
		return s.instance(x.X, []ast.Expr{x.Index}, depth+1)
	case *ast.IndexListExpr:
		s.lazy = lazy
		return s.instance(x.X, x.Indices, depth+1)
	}
	return unknown(exprString(e), "not a type")
}

func (s scope) ident(name string, depth int) *debuginfo.Type {
	if t, ok := s.targs[name]; ok {
		return t
	}
	if s.p != nil {
		if _, ok := s.p.types[name]; ok {
			return s.c.namedInstance(s.p, name, nil, "", depth+1, s.lazy)
		}
	}
	if t, ok := basics[name]; ok {
		return t
	}
	switch name {
	case "string":
		return stringT()
	case "error":
		return interfaceT("error", false, s.c.names)
	case "any":
		return interfaceT("interface {}", true, s.c.names)
	}
	return unknown(s.qualify(name), "not declared in the source read")
}

func (s scope) importPath(local string) string {
	if s.f != nil && s.p != nil {
		if p, ok := s.p.imports[s.f][local]; ok {
			return p
		}
		return ""
	}
	// A --signature has no imports: a qualifier is taken as the import
	// path itself (os.FileMode, syscall.Errno).
	return local
}

func (s scope) imported(local, name string, depth int) *debuginfo.Type {
	path := s.importPath(local)
	if path == "unsafe" && name == "Pointer" {
		return unsafePointer()
	}
	if path == "" {
		return unknown(local+"."+name, "package "+local+" not imported")
	}
	if s.c.load == nil {
		return unknown(path+"."+name, "no source to resolve "+path)
	}
	q, err := s.c.load(path)
	if err != nil {
		return unknown(path+"."+name, "no source for package "+path)
	}
	return s.c.namedInstance(q, name, nil, "", depth+1, s.lazy)
}

// instance converts an instantiated generic type, atomic.Pointer[T]:
// the declaration with its type parameters bound, named as Go's DWARF
// names it ("sync/atomic.Pointer[os.dirInfo]").
func (s scope) instance(base ast.Expr, args []ast.Expr, depth int) *debuginfo.Type {
	var q *pkg
	var name string
	switch b := base.(type) {
	case *ast.Ident:
		q, name = s.p, b.Name
	case *ast.SelectorExpr:
		id, ok := b.X.(*ast.Ident)
		if !ok || s.c.load == nil {
			return unknown(exprString(base), "not a generic type name")
		}
		path := s.importPath(id.Name)
		var err error
		if q, err = s.c.load(path); err != nil {
			return unknown(path+"."+b.Sel.Name, "no source for package "+path)
		}
		name = b.Sel.Name
	default:
		return unknown(exprString(base), "not a generic type name")
	}
	if q == nil {
		return unknown(name, "no source for a generic type")
	}
	var ts []*debuginfo.Type
	var spelled []string
	lazy := s.lazy
	s.lazy = false
	for _, a := range args {
		t := s.typeOf(a, depth+1)
		ts = append(ts, t)
		spelled = append(spelled, spell(t))
	}
	return s.c.namedInstance(q, name, ts, strings.Join(spelled, ","), depth+1, lazy)
}

// exprString spells a type expression for messages.
func exprString(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return exprString(x.X) + "." + x.Sel.Name
	case *ast.StarExpr:
		return "*" + exprString(x.X)
	case *ast.IndexExpr:
		return exprString(x.X) + "[" + exprString(x.Index) + "]"
	case *ast.BasicLit:
		return x.Value
	}
	return "?"
}
