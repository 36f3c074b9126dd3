package gosource

import (
	"go/ast"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
)

// namedType converts a package-level type declaration once per package.
func (c *converter) namedType(p *pkg, name string, depth int) *debuginfo.Type {
	return c.namedInstance(p, name, nil, "", depth, false)
}

// namedInstance converts a named type, or with lazy only names it and
// leaves its definition to drain.
func (c *converter) namedInstance(p *pkg, name string, targs []*debuginfo.Type, spelled string, depth int, lazy bool) *debuginfo.Type {
	key := name
	if targs != nil {
		key += "[" + spelled + "]"
	}
	if tc, ok := p.named[key]; ok {
		if !lazy {
			c.run(tc)
		}
		return tc.t
	}
	d, ok := p.types[name]
	qname := p.path + "." + key
	if !ok {
		return unknown(qname, "not declared in "+p.dir)
	}
	sc := scope{c: c, p: p, f: d.file}
	var tparams []*ast.Ident
	if d.spec.TypeParams != nil {
		for _, f := range d.spec.TypeParams.List {
			tparams = append(tparams, f.Names...)
		}
	}
	if len(tparams) != len(targs) {
		t := unknown(qname, "generic type without its type arguments")
		p.named[key] = &typeCache{t: t}
		return t
	}
	if len(tparams) > 0 {
		sc.targs = map[string]*debuginfo.Type{}
		for i, n := range tparams {
			sc.targs[n.Name] = targs[i]
		}
	}
	if d.spec.Assign.IsValid() { // type A = B
		tc := &typeCache{t: unknown(qname, "alias cycle")}
		p.named[key] = tc
		tc.t = sc.typeOf(d.spec.Type, depth+1)
		return tc.t
	}
	if it, ok := d.spec.Type.(*ast.InterfaceType); ok {
		// A named interface is spelled by its name: its methods need not
		// be resolved (they often mention types that mention it).
		t := interfaceT(qname, it.Methods == nil || len(it.Methods.List) == 0, c.names)
		p.named[key] = &typeCache{t: t}
		return t
	}
	t := &debuginfo.Type{Name: qname, GoName: qname}
	tc := &typeCache{t: t, state: pending}
	tc.define = func() {
		u := sc.typeOf(d.spec.Type, depth+1)
		if u.Kind == debuginfo.KindUnsupported {
			*t = *unknown(qname, strings.TrimSuffix(strings.TrimPrefix(u.Name, "? ("), ")"))
			return
		}
		*t = *named(qname, u)
	}
	p.named[key] = tc
	if lazy {
		c.pending = append(c.pending, tc)
	} else {
		c.run(tc)
	}
	return t
}
