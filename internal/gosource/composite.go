package gosource

import (
	"go/ast"
	"go/token"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
)

func (s scope) structOf(x *ast.StructType, depth int) *debuginfo.Type {
	var fs []debuginfo.Field
	var parts []string
	for _, f := range x.Fields.List {
		ft := s.typeOf(f.Type, depth+1)
		tag := ""
		if f.Tag != nil {
			tag = " " + f.Tag.Value
		}
		if len(f.Names) == 0 { // embedded: named by its type's base name
			n := ft.GoName
			if i := strings.LastIndexByte(n, '.'); i >= 0 {
				n = n[i+1:]
			}
			fs = append(fs, debuginfo.Field{Name: strings.TrimLeft(n, "*"), Type: ft})
			parts = append(parts, spell(ft)+tag)
			continue
		}
		for _, n := range f.Names {
			fs = append(fs, debuginfo.Field{Name: n.Name, Type: ft})
			spelled := n.Name
			if !token.IsExported(spelled) && s.p != nil {
				// Go's type names qualify unexported field names:
				// "struct { runtime.base uintptr; ... }".
				spelled = s.p.path + "." + spelled
			}
			parts = append(parts, spelled+" "+spell(ft)+tag)
		}
	}
	g := "struct {}"
	if len(parts) > 0 {
		g = "struct { " + strings.Join(parts, "; ") + " }"
	}
	for _, f := range fs {
		if IsUnknown(f.Type) {
			return unknown(g, "field "+f.Name+": "+unknownReason(f.Type, 0))
		}
	}
	fs, size := layout(fs)
	return &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "struct " + g, GoName: g, Size: size, Fields: fs}
}

// funcString spells a signature as Go's DWARF does, without "func":
// "(int, ...interface {}) (int, error)".
func (s scope) funcString(x *ast.FuncType, depth int) string {
	list := func(fl *ast.FieldList) []string {
		var out []string
		if fl == nil {
			return out
		}
		for _, f := range fl.List {
			var g string
			if el, ok := f.Type.(*ast.Ellipsis); ok {
				g = "..." + spell(s.typeOf(el.Elt, depth+1))
			} else {
				g = spell(s.typeOf(f.Type, depth+1))
			}
			for i := 0; i < max(len(f.Names), 1); i++ {
				out = append(out, g)
			}
		}
		return out
	}
	str := "(" + strings.Join(list(x.Params), ", ") + ")"
	switch rs := list(x.Results); len(rs) {
	case 0:
	case 1:
		str += " " + rs[0]
	default:
		str += " (" + strings.Join(rs, ", ") + ")"
	}
	return str
}

func (s scope) interfaceString(x *ast.InterfaceType, depth int) string {
	if x.Methods == nil || len(x.Methods.List) == 0 {
		return "interface {}"
	}
	var parts []string
	for _, m := range x.Methods.List {
		ft, ok := m.Type.(*ast.FuncType)
		if !ok || len(m.Names) == 0 {
			parts = append(parts, spell(s.typeOf(m.Type, depth+1)))
			continue
		}
		for _, n := range m.Names {
			parts = append(parts, n.Name+s.funcString(ft, depth+1))
		}
	}
	return "interface { " + strings.Join(parts, "; ") + " }"
}
