package gosource

import (
	"go/ast"
	"go/constant"
	"go/token"
)

// Array lengths are constant expressions, often of other packages'
// constants (goarch.PtrSize); this evaluates the subset declarations use.

// constInt evaluates an array length.
func (s scope) constInt(e ast.Expr, depth int) (int64, bool) {
	v, ok := s.constant(e, depth)
	if !ok {
		return 0, false
	}
	i := constant.ToInt(v.v)
	if i.Kind() != constant.Int {
		return 0, false
	}
	return constant.Int64Val(i)
}

// cval is a constant and, for one of a sized unsigned type, its width:
// ^uintptr(0) is 1<<64-1, not -1 (goarch.PtrSize = 4 << (^uintptr(0) >> 63)).
type cval struct {
	v    constant.Value
	bits uint
}

var unsignedBits = map[string]uint{"uint": 64, "uintptr": 64, "uint64": 64, "uint32": 32, "uint16": 16, "uint8": 8, "byte": 8}

func (s scope) constant(e ast.Expr, depth int) (cval, bool) {
	if depth > maxDepth {
		return cval{}, false
	}
	switch x := e.(type) {
	case *ast.BasicLit:
		v := constant.MakeFromLiteral(x.Value, x.Kind, 0)
		return cval{v: v}, v.Kind() != constant.Unknown
	case *ast.ParenExpr:
		return s.constant(x.X, depth+1)
	case *ast.Ident:
		switch x.Name {
		case "iota":
			return cval{v: constant.MakeInt64(s.iota)}, true
		case "true", "false":
			return cval{v: constant.MakeBool(x.Name == "true")}, true
		}
		if s.p == nil {
			return cval{}, false
		}
		return s.c.constOf(s.p, x.Name, depth+1)
	case *ast.SelectorExpr:
		id, ok := x.X.(*ast.Ident)
		if !ok || s.c.load == nil {
			return cval{}, false
		}
		path := s.importPath(id.Name)
		if path == "" {
			return cval{}, false
		}
		q, err := s.c.load(path)
		if err != nil {
			return cval{}, false
		}
		return s.c.constOf(q, x.Sel.Name, depth+1)
	case *ast.UnaryExpr:
		v, ok := s.constant(x.X, depth+1)
		if !ok {
			return cval{}, false
		}
		return unaryOp(x.Op, v)
	case *ast.BinaryExpr:
		a, ok1 := s.constant(x.X, depth+1)
		b, ok2 := s.constant(x.Y, depth+1)
		if !ok1 || !ok2 {
			return cval{}, false
		}
		return binaryOp(a, x.Op, b)
	case *ast.CallExpr:
		return s.constCall(x, depth+1)
	}
	return cval{}, false
}

// constCall evaluates unsafe.Sizeof(T{}) and conversions: uintptr(0)
// takes the width of its type.
func (s scope) constCall(x *ast.CallExpr, depth int) (cval, bool) {
	if len(x.Args) != 1 {
		return cval{}, false
	}
	if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
		id, ok := sel.X.(*ast.Ident)
		if !ok || s.importPath(id.Name) != "unsafe" || sel.Sel.Name != "Sizeof" {
			return cval{}, false
		}
		// unsafe.Sizeof(T{}) and unsafe.Sizeof(T(x)): the size of T.
		var te ast.Expr
		switch a := x.Args[0].(type) {
		case *ast.CompositeLit:
			te = a.Type
		case *ast.CallExpr:
			te = a.Fun
		}
		if te != nil {
			if t := s.typeOf(te, depth+1); !IsUnknown(t) {
				return cval{v: constant.MakeInt64(t.Size)}, true
			}
		}
		return cval{}, false
	}
	v, ok := s.constant(x.Args[0], depth+1)
	if !ok {
		return cval{}, false
	}
	if id, ok := x.Fun.(*ast.Ident); ok {
		if _, declared := s.p.typesOrNil()[id.Name]; !declared {
			v.bits = unsignedBits[id.Name]
		}
	}
	return v, true
}

func (p *pkg) typesOrNil() map[string]typeDecl {
	if p == nil {
		return nil
	}
	return p.types
}

func unaryOp(op token.Token, a cval) (v cval, ok bool) {
	defer func() {
		if recover() != nil {
			v, ok = cval{}, false
		}
	}()
	r := constant.UnaryOp(op, a.v, a.bits)
	return cval{v: r, bits: a.bits}, r.Kind() != constant.Unknown
}

func binaryOp(a cval, op token.Token, b cval) (v cval, ok bool) {
	defer func() {
		if recover() != nil { // division by zero, mismatched kinds
			v, ok = cval{}, false
		}
	}()
	bits := max(a.bits, b.bits)
	var r constant.Value
	switch op {
	case token.SHL, token.SHR:
		n, exact := constant.Uint64Val(constant.ToInt(b.v))
		if !exact || n > 1024 {
			return cval{}, false
		}
		r, bits = constant.Shift(a.v, op, uint(n)), a.bits
	case token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
		return cval{v: constant.MakeBool(constant.Compare(a.v, op, b.v))}, true
	case token.QUO:
		if a.v.Kind() == constant.Int && b.v.Kind() == constant.Int {
			op = token.QUO_ASSIGN // integer division
		}
		r = constant.BinaryOp(a.v, op, b.v)
	default:
		r = constant.BinaryOp(a.v, op, b.v)
	}
	if bits > 0 && r.Kind() == constant.Int {
		mask := constant.Shift(constant.MakeInt64(1), token.SHL, bits)
		r = constant.BinaryOp(r, token.AND, constant.BinaryOp(mask, token.SUB, constant.MakeInt64(1)))
	}
	return cval{v: r, bits: bits}, r.Kind() != constant.Unknown
}

func (c *converter) constOf(p *pkg, name string, depth int) (cval, bool) {
	d, ok := p.consts[name]
	if !ok || d.expr == nil {
		return cval{}, false
	}
	v, ok := scope{c: c, p: p, f: d.file, iota: d.iota}.constant(d.expr, depth+1)
	if ok && d.typ != nil {
		if id, isIdent := d.typ.(*ast.Ident); isIdent {
			v.bits = unsignedBits[id.Name]
		}
	}
	return v, ok
}
