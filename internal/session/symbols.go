package session

import (
	"fmt"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/gofacts"
	"github.com/stapgen/stapgen/internal/gofncache"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/symfile"
)

// nameBySymbols writes (or reuses) the debug file that gives a binary
// without DWARF or symbols one symbol per function and per probed address,
// and names the plan's points by them. Naming needs the whole function
// table; the names of the points are kept in the function cache c, and
// with kept naming every point, a debug file that already holds the
// plan's sites is reused without reading the table.
func nameBySymbols(t *Target, p *plan.Plan, c gofncache.Cache, kept map[uint64]string) error {
	req := symfile.Request{Binary: t.Bin.Path, BuildID: t.Bin.BuildID, Sites: p.Sites(), Subs: subs(p.RegFuncs)}
	if names, ok := pointNames(p, kept); ok {
		if res, ok := symfile.Reuse(req); ok {
			return p.UseSymbols(names, res.Env)
		}
	}
	funcs := t.Funcs
	if funcs == nil {
		// Planned from the function cache: only the function table is
		// read, not the types from source.
		s, err := gofacts.Stripped(t.Bin)
		if err != nil {
			return err
		}
		funcs = s
	}
	fns, err := funcs.Match("*")
	if err != nil {
		return err
	}
	for _, f := range fns {
		req.Funcs = append(req.Funcs, symfile.Func{Name: f.Name, Entry: f.Entry, End: f.End})
	}
	res, err := symfile.Write(req)
	if err != nil {
		return fmt.Errorf("naming %s's functions for stap: %w", t.Bin.Path, err)
	}
	if names, ok := pointNames(p, res.Names); ok {
		c.StoreBinary(gofncache.Binary{Names: names})
	}
	return p.UseSymbols(res.Names, res.Env)
}

// subs are the functions whose parameters the debug file describes, in
// symfile's terms.
func subs(fs []plan.RegFunc) []symfile.Sub {
	var out []symfile.Sub
	for _, f := range fs {
		s := symfile.Sub{Name: f.Name, Entry: f.Entry, End: f.End}
		for _, p := range f.Params {
			s.Params = append(s.Params, symfile.Param{Name: p.Name, Type: paramType(p.Type, p.Path), Regs: p.Regs})
		}
		out = append(out, s)
	}
	return out
}

// paramType describes t, and of a pointer or struct only the members on
// path (plan.RegParam.Path).
func paramType(t *debuginfo.Type, path []string) symfile.ParamType {
	name := t.GoName
	if name == "" {
		name = t.Name
	}
	pt := symfile.ParamType{Kind: symfile.KindUnsigned, Name: name, Size: int(t.Size)}
	switch t.Kind {
	case debuginfo.KindString:
		pt.Kind = symfile.KindString
	case debuginfo.KindBool:
		pt.Kind = symfile.KindBool
	case debuginfo.KindInt:
		pt.Kind = symfile.KindSigned
	case debuginfo.KindPointer:
		pt.Kind, pt.Size = symfile.KindPointer, 8
		if t.Elem != nil {
			e := paramType(t.Elem, path)
			pt.Elem = &e
		}
	case debuginfo.KindSlice:
		// Go's slice header, as its DWARF has it; the elements are read
		// from memory through array, so its pointee is left a byte.
		u8 := symfile.ParamType{Kind: symfile.KindUnsigned, Name: "uint8", Size: 1}
		n := symfile.ParamType{Kind: symfile.KindSigned, Name: "int", Size: 8}
		pt.Kind, pt.Size = symfile.KindStruct, 24
		pt.Members = []symfile.Member{
			{Name: "array", Type: symfile.ParamType{Kind: symfile.KindPointer, Name: "*uint8", Size: 8, Elem: &u8}},
			{Name: "len", Off: 8, Type: n}, {Name: "cap", Off: 16, Type: n}}
	case debuginfo.KindStruct:
		pt.Kind = symfile.KindStruct
		if len(path) > 0 {
			for _, m := range t.Members() {
				if m.Name == path[0] && m.Type != nil {
					pt.Members = []symfile.Member{{Name: m.Name, Off: int(m.Offset), Type: paramType(m.Type, path[1:])}}
					break
				}
			}
		}
	}
	return pt
}

// pointNames are the names of the plan's points, false when names lacks
// one or has one symfile never gives (a damaged cache file must not put
// a quote into a probe point).
func pointNames(p *plan.Plan, names map[uint64]string) (map[uint64]string, bool) {
	out := map[uint64]string{}
	for _, pr := range p.Probes {
		for _, pt := range pr.Points {
			n, ok := names[pt.Addr]
			if !ok || n == "" || strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r >= 0x7f || strings.ContainsRune("\"*[\\", r) }) {
				return nil, false
			}
			out[pt.Addr] = n
		}
	}
	return out, true
}
