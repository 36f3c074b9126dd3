// Package nameindex is the name index of a binary's DWARF: every function
// name with its DIEs and every named type, built by one top-level scan of
// every unit (about 1.5 s on a 587 MB vmlinux) and persisted by build-id;
// the glob that matches those names; and the similarity ranking that
// suggests one when a name is not found.
package nameindex

import (
	"debug/dwarf"
	"sort"

	"github.com/stapgen/stapgen/internal/debuginfo/raw"
)

// Ref points at one subprogram DIE. It is plain data so the index can
// be persisted (gob) and reused for the same build-id.
type Ref struct {
	Off   dwarf.Offset
	Unit  int32
	LowPC uint64
	// Code is false for abstract (inline-only) functions.
	Code bool
}

// Index maps every function name of the DWARF to its DIEs, and every
// named top-level type (keyed by TypeKey) to its first defining DIE.
// C++ functions are listed by their qualified names ("shop::Cart::add",
// from the scopes that hold their declarations); Qual names the DIEs whose
// own DW_AT_name is not that name, and Linkage maps each C++ function's
// DW_AT_linkage_name (its mangled symbol) to its qualified name.
type Index struct {
	ByName  map[string][]Ref
	Names   []string // sorted
	Types   map[string]dwarf.Offset
	Qual    map[dwarf.Offset]string
	Linkage map[string]string
}

// Scan builds the index of f. It reads only the direct children of each
// unit, and in C++ units the children of namespaces and classes; nested
// DIEs are skipped through DW_AT_sibling without being decoded. Nameless
// concrete subprograms (out-of-line copies of inline functions, GCC
// clones, C++ definitions of declared members) take the name of their
// DW_AT_abstract_origin / DW_AT_specification.
func Scan(f *raw.File) *Index {
	n := &Index{ByName: map[string][]Ref{}, Types: map[string]dwarf.Offset{},
		Qual: map[dwarf.Offset]string{}, Linkage: map[string]string{}}
	s := &scan{n: n, f: f, nameOf: map[dwarf.Offset]string{}}
	fv, err := f.Full()
	if err != nil {
		return n
	}
	s.d = fv.D
	r := fv.D.Reader()
	for ui, u := range f.Units {
		r.Seek(u.DIE)
		cu, err := r.Next()
		if err != nil || cu == nil || !cu.Children {
			continue
		}
		l, _ := cu.Val(dwarf.AttrLanguage).(int64)
		s.unit, s.cpp = int32(ui), raw.IsCPP(l)
		s.children(r, "")
	}
	for _, p := range s.todo {
		name := s.resolve(p.origin)
		if name != "" {
			n.ByName[name] = append(n.ByName[name], p.ref)
			if p.cpp {
				n.Qual[p.ref.Off] = name
			}
		}
	}
	for name, refs := range n.ByName {
		// An inline function with out-of-line copies is listed by its copies.
		code := 0
		for _, r := range refs {
			if r.Code {
				code++
			}
		}
		if code > 0 && code < len(refs) {
			kept := refs[:0]
			for _, r := range refs {
				if r.Code {
					kept = append(kept, r)
				}
			}
			n.ByName[name] = kept
		}
		n.Names = append(n.Names, name)
	}
	sort.Strings(n.Names)
	return n
}

// scan is the state of one Scan.
type scan struct {
	n      *Index
	f      *raw.File
	d      *dwarf.Data
	unit   int32
	cpp    bool
	nameOf map[dwarf.Offset]string // qualified names of declarations and abstract functions
	todo   []pending
}

// pending is a subprogram named by the DIE it points at, resolved once
// every unit is read (the origin may be in a later one).
type pending struct {
	ref    Ref
	origin dwarf.Offset
	cpp    bool
}

// children reads the DIEs under the current one up to its terminating
// null entry; scope is the qualified name of the C++ scope they are in
// ("" at a unit's top level).
func (s *scan) children(r *dwarf.Reader, scope string) {
	for {
		e, err := r.Next()
		if err != nil || e == nil || e.Tag == 0 {
			return
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		switch e.Tag {
		case dwarf.TagSubprogram:
			s.subprogram(e, qualify(scope, name), name)
		case dwarf.TagNamespace, dwarf.TagClassType, dwarf.TagStructType, dwarf.TagUnionType:
			if e.Tag != dwarf.TagNamespace && scope == "" {
				s.typeName(e, name)
			}
			if s.cpp && e.Children {
				inner := qualify(scope, name)
				if name == "" && e.Tag == dwarf.TagNamespace {
					inner = qualify(scope, "(anonymous namespace)")
				}
				s.children(r, inner)
				continue
			}
		case dwarf.TagTypedef, dwarf.TagBaseType, dwarf.TagEnumerationType:
			if scope == "" {
				s.typeName(e, name)
			}
		}
		if e.Children {
			r.SkipChildren()
		}
	}
}

func qualify(scope, name string) string {
	if scope == "" || name == "" {
		return name
	}
	return scope + "::" + name
}

func (s *scan) typeName(e *dwarf.Entry, name string) {
	if _, decl := e.Val(dwarf.AttrDeclaration).(bool); name != "" && !decl {
		key := TypeKey(e.Tag, name)
		if _, ok := s.n.Types[key]; !ok {
			s.n.Types[key] = e.Offset
		}
	}
}

// subprogram indexes one subprogram DIE named q (its qualified name, ""
// when the DIE has no DW_AT_name of its own).
func (s *scan) subprogram(e *dwarf.Entry, q, own string) {
	n := s.n
	ref := Ref{Off: e.Offset, Unit: s.unit}
	if lo, ok := e.Val(dwarf.AttrLowpc).(uint64); ok {
		ref.LowPC, ref.Code = lo, true
	} else if e.Val(dwarf.AttrRanges) != nil {
		if rs, err := s.d.Ranges(e); err == nil && len(rs) > 0 {
			ref.LowPC, ref.Code = rs[0][0], true
		}
	}
	linkage, _ := e.Val(dwarf.AttrLinkageName).(string)
	if linkage == "" {
		linkage, _ = e.Val(dwarf.Attr(0x2007)).(string) // DW_AT_MIPS_linkage_name, before DWARF 4
	}
	_, decl := e.Val(dwarf.AttrDeclaration).(bool)
	inline := e.Val(dwarf.AttrInline) != nil
	if q != "" && s.cpp && linkage != "" {
		n.Linkage[linkage] = q
	}
	switch {
	case q != "":
		if !ref.Code {
			s.nameOf[e.Offset] = q
		}
		if ref.Code || (!decl && inline) {
			n.ByName[q] = append(n.ByName[q], ref)
			if q != own {
				n.Qual[e.Offset] = q
			}
		}
	case ref.Code || (!decl && inline):
		// A C++ inline member's abstract instance is nameless too: it
		// points at the declaration in its class.
		if o := raw.Origin(e); o != 0 {
			s.todo = append(s.todo, pending{ref: ref, origin: o, cpp: s.cpp})
		}
	}
}

// resolve names the DIE at off: its qualified name when the scan saw it
// in a scope, else its DW_AT_name, following up to three origins.
func (s *scan) resolve(off dwarf.Offset) string {
	for i := 0; i < 3; i++ {
		if q, ok := s.nameOf[off]; ok {
			return q
		}
		e, err := s.f.Entry(off)
		if err != nil || e == nil {
			return ""
		}
		if n, ok := e.Val(dwarf.AttrName).(string); ok {
			return n
		}
		o := raw.Origin(e)
		if o == 0 {
			return ""
		}
		off = o
	}
	return ""
}

// TypeKey spells the lookup key of a named type: "struct sk_buff",
// "union x", "enum y", or the bare name for typedefs and base types (Go's
// "runtime.g" is a struct and is also reachable bare, see TypeByName).
func TypeKey(tag dwarf.Tag, name string) string {
	switch tag {
	case dwarf.TagStructType:
		return "struct " + name
	case dwarf.TagUnionType:
		return "union " + name
	case dwarf.TagEnumerationType:
		return "enum " + name
	}
	return name
}
