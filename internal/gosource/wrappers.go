package gosource

import (
	"go/ast"
	"go/token"
	"strconv"

	"github.com/stapgen/stapgen/internal/debuginfo"
)

// Functions whose declaration is not where their name says: bodies a
// //go:linkname provides from another package, and the compiler's
// wrappers for methods promoted from embedded types.

// linknamers are the packages that push their functions into others
// with //go:linkname (runtime's time.Sleep, syscall.RawSyscall6).
var linknamers = []string{"runtime", "runtime/internal/syscall", "internal/runtime/syscall", "internal/runtime/syscall/linux",
	"internal/runtime/maps", "internal/poll", "sync", "syscall"}

// linknamed finds the body of a function declared without one: the
// runtime implements time.Sleep as timeSleep under //go:linkname.
func (r *Resolver) linknamed(full string) (*Signature, bool) {
	for _, impl := range linknamers {
		q, err := r.load(impl)
		if err != nil {
			continue
		}
		local, ok := q.linknamed[full]
		if !ok {
			continue
		}
		d, ok := q.funcs[local]
		if !ok || q.bodyless[local] {
			continue
		}
		s := scope{c: r.conv, p: q, f: fileOf(q, d)}
		params, results := s.variables(nil, d.Type)
		pos := q.fset.Position(d.Pos())
		return &Signature{Func: full, Params: params, Results: results,
			Origin: q.originWhat + " " + pos.Filename + ":" + strconv.Itoa(pos.Line) + " (//go:linkname " + local + ")"}, true
	}
	return nil, false
}

// promoted builds the compiler's wrapper for a method promoted from an
// embedded field (reflect.(*funcType).Elem is rtype's Elem, and
// context.valueCtx.Deadline its embedded Context's): the outer type as
// the receiver, then the embedded method's parameters.
func (r *Resolver) promoted(name string, fn funcName, p *pkg, recv, method string) (*Signature, error) {
	m, ok := r.findPromoted(p, recv, method, 0)
	if !ok {
		return nil, &NotInSourceError{Func: name, Dir: p.dir}
	}
	t := r.conv.namedType(p, recv, 0)
	if fn.ptrRecv {
		t = pointerTo(t)
	}
	s := scope{c: r.conv, p: m.p, f: m.f}
	params, results := s.variables(&debuginfo.Variable{Name: m.rname, Type: t}, m.ft)
	where := "the universe's error"
	if m.p != nil {
		pos := m.p.fset.Position(m.pos)
		where = m.p.originWhat + " " + pos.Filename + ":" + strconv.Itoa(pos.Line)
	}
	return &Signature{Func: name, Params: params, Results: results,
		Origin: where + " (promoted through " + p.path + "." + recv + ")"}, nil
}

// promotion is a method found on an embedded type.
type promotion struct {
	ft    *ast.FuncType
	p     *pkg // nil for error's Error
	f     *ast.File
	pos   token.Pos
	rname string // Go's DWARF names the wrapper's receiver as the method's own
}

// errorMethod is the universe error's Error, for types embedding error.
var errorMethod, _ = parseFuncType("func() string")

// findPromoted looks for method on the types embedded in p's type recv,
// breadth by depth as Go's selector rule does, a few levels deep: their
// declared methods, or an embedded interface's.
func (r *Resolver) findPromoted(p *pkg, recv, method string, depth int) (promotion, bool) {
	if depth > 4 {
		return promotion{}, false
	}
	td, ok := p.types[recv]
	if !ok {
		return promotion{}, false
	}
	st, ok := td.spec.Type.(*ast.StructType)
	if !ok {
		return promotion{}, false
	}
	type emb struct {
		p    *pkg
		name string
	}
	var embs []emb
	for _, f := range st.Fields.List {
		if len(f.Names) > 0 {
			continue
		}
		e := f.Type
		if s, ok := e.(*ast.StarExpr); ok {
			e = s.X
		}
		switch x := e.(type) {
		case *ast.Ident:
			if x.Name == "error" && p.types["error"].spec == nil {
				if method == "Error" {
					return promotion{ft: errorMethod, rname: "~p0"}, true
				}
				continue
			}
			embs = append(embs, emb{p, x.Name})
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok {
				if path := p.imports[td.file][id.Name]; path != "" {
					if q, err := r.load(path); err == nil {
						embs = append(embs, emb{q, x.Sel.Name})
					}
				}
			}
		}
	}
	for _, e := range embs {
		if d, ok := e.p.funcs[e.name+"."+method]; ok {
			m := promotion{ft: d.Type, p: e.p, f: fileOf(e.p, d), pos: d.Pos(), rname: "~p0"}
			if d.Recv != nil && len(d.Recv.List) == 1 && len(d.Recv.List[0].Names) == 1 && d.Recv.List[0].Names[0].Name != "_" {
				m.rname = d.Recv.List[0].Names[0].Name
			}
			return m, true
		}
		if it, ok := specType(e.p.types[e.name].spec).(*ast.InterfaceType); ok && it.Methods != nil {
			for _, f := range it.Methods.List {
				ft, ok := f.Type.(*ast.FuncType)
				if !ok {
					continue
				}
				for _, n := range f.Names {
					if n.Name == method {
						return promotion{ft: ft, p: e.p, f: e.p.types[e.name].file, pos: n.Pos(), rname: "~p0"}, true
					}
				}
			}
		}
	}
	for _, e := range embs {
		if m, ok := r.findPromoted(e.p, e.name, method, depth+1); ok {
			return m, true
		}
	}
	return promotion{}, false
}
