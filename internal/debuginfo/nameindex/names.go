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
type Index struct {
	ByName map[string][]Ref
	Names  []string // sorted
	Types  map[string]dwarf.Offset
}

// Scan builds the index of f. It reads only the direct children of each unit; nested DIEs are
// skipped through DW_AT_sibling without being decoded. Nameless concrete
// subprograms (out-of-line copies of inline functions, GCC clones) take
// the name of their DW_AT_abstract_origin / DW_AT_specification.
func Scan(f *raw.File) *Index {
	n := &Index{ByName: map[string][]Ref{}, Types: map[string]dwarf.Offset{}}
	type pending struct {
		ref    Ref
		origin dwarf.Offset
	}
	var todo []pending
	nameOf := map[dwarf.Offset]string{}
	fv, err := f.Full()
	if err != nil {
		return n
	}
	r := fv.D.Reader()
	for ui, u := range f.Units {
		r.Seek(u.DIE)
		cu, err := r.Next()
		if err != nil || cu == nil || !cu.Children {
			continue
		}
		for {
			e, err := r.Next()
			if err != nil || e == nil || e.Tag == 0 {
				break
			}
			switch e.Tag {
			case dwarf.TagSubprogram:
				ref := Ref{Off: e.Offset, Unit: int32(ui)}
				if lo, ok := e.Val(dwarf.AttrLowpc).(uint64); ok {
					ref.LowPC, ref.Code = lo, true
				} else if e.Val(dwarf.AttrRanges) != nil {
					if rs, err := fv.D.Ranges(e); err == nil && len(rs) > 0 {
						ref.LowPC, ref.Code = rs[0][0], true
					}
				}
				name, _ := e.Val(dwarf.AttrName).(string)
				if name != "" {
					if !ref.Code {
						nameOf[e.Offset] = name
					}
					_, decl := e.Val(dwarf.AttrDeclaration).(bool)
					if ref.Code || (!decl && e.Val(dwarf.AttrInline) != nil) {
						n.ByName[name] = append(n.ByName[name], ref)
					}
				} else if ref.Code {
					o, ok := e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset)
					if !ok {
						o, ok = e.Val(dwarf.AttrSpecification).(dwarf.Offset)
					}
					if ok {
						todo = append(todo, pending{ref, o})
					}
				}
			case dwarf.TagStructType, dwarf.TagUnionType, dwarf.TagTypedef, dwarf.TagBaseType, dwarf.TagEnumerationType:
				name, _ := e.Val(dwarf.AttrName).(string)
				if _, decl := e.Val(dwarf.AttrDeclaration).(bool); name != "" && !decl {
					key := TypeKey(e.Tag, name)
					if _, ok := n.Types[key]; !ok {
						n.Types[key] = e.Offset
					}
				}
			}
			if e.Children {
				r.SkipChildren()
			}
		}
	}
	for _, p := range todo {
		name, ok := nameOf[p.origin]
		if !ok {
			name = dieName(f, p.origin)
		}
		if name != "" {
			n.ByName[name] = append(n.ByName[name], p.ref)
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

// dieName reads DW_AT_name of a DIE, following one level of origin.
func dieName(f *raw.File, off dwarf.Offset) string {
	for i := 0; i < 3; i++ {
		e, err := f.Entry(off)
		if err != nil || e == nil {
			return ""
		}
		if n, ok := e.Val(dwarf.AttrName).(string); ok {
			return n
		}
		o, ok := e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset)
		if !ok {
			o, ok = e.Val(dwarf.AttrSpecification).(dwarf.Offset)
		}
		if !ok {
			return ""
		}
		off = o
	}
	return ""
}
