package debuginfo

import (
	"debug/dwarf"
	"fmt"

	"github.com/go-delve/delve/pkg/dwarf/godwarf"
)

// Go names the hidden dictionary argument of shaped generic functions
// ".dict" in unoptimised builds only. The ABI assigner adds the dictionary
// by rule (it is always the first integer register), so it is left out of
// Params to keep them identical across build modes.
const goDictParam = ".dict"

// function builds the model of the subprogram at ref. Attributes the
// concrete DIE lacks (name, decl_file, type) come from its abstract origin
// or specification, merged by delve's godwarf.
func (ix *Index) function(ref funcRef) (*Function, error) {
	r := ix.d.Reader()
	r.Seek(ref.Off)
	e, err := r.Next()
	if err != nil {
		return nil, err
	}
	if e == nil || e.Tag != dwarf.TagSubprogram {
		return nil, fmt.Errorf("no subprogram at %#x", ref.Off)
	}
	u := int(ref.Unit)
	if u < 0 || u >= len(ix.units) || ix.units[u].hdr > ref.Off || ix.units[u].end <= ref.Off {
		u = ix.unitOf(ref.Off)
	}
	m := ix.unitMeta(u)
	if m == nil {
		return nil, fmt.Errorf("no unit for DIE %#x", ref.Off)
	}
	comp, _ := godwarf.LoadAbstractOriginAndSpecification(e, ix.d.Reader())
	f := &Function{Lang: m.lang}
	f.Name, _ = comp.Val(dwarf.AttrName).(string)
	if df, ok := comp.Val(dwarf.AttrDeclFile).(int64); ok {
		fu := u
		if origin := originOf(e); origin != 0 {
			fu = ix.unitOf(origin) // decl_file indexes the origin's unit's table
		}
		f.File = ix.fileName(fu, df)
	}
	if dl, ok := comp.Val(dwarf.AttrDeclLine).(int64); ok {
		f.Line = int(dl)
	}
	f.Entry, f.End = ix.pcRange(e)
	if ref.LowPC != 0 && ref.Code {
		f.Entry = ref.LowPC
	}
	f.Inlined = !ref.Code && f.Entry == 0
	if f.File == "" && !f.Inlined && f.Entry != 0 {
		f.File, f.Line = ix.fileLineAt(u, f.Entry)
	}
	if err := ix.params(f, e, r, m); err != nil {
		return nil, err
	}
	return f, nil
}

func originOf(e *dwarf.Entry) dwarf.Offset {
	if o, ok := e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset); ok {
		return o
	}
	if o, ok := e.Val(dwarf.AttrSpecification).(dwarf.Offset); ok {
		return o
	}
	return 0
}

// pcRange returns the entry and end of a subprogram: low_pc/high_pc, or
// the first range of DW_AT_ranges (GCC splits hot/cold parts).
func (ix *Index) pcRange(e *dwarf.Entry) (uint64, uint64) {
	if lo, ok := e.Val(dwarf.AttrLowpc).(uint64); ok {
		switch hi := e.Val(dwarf.AttrHighpc).(type) {
		case uint64:
			return lo, hi
		case int64:
			return lo, lo + uint64(hi)
		}
		return lo, lo
	}
	if e.Val(dwarf.AttrRanges) != nil {
		if rs, err := ix.d.Ranges(e); err == nil && len(rs) > 0 {
			return rs[0][0], rs[0][1]
		}
	}
	return 0, 0
}

// params reads the direct formal_parameter children of e (nested lexical
// blocks and inlined calls are skipped undecoded). Go results carry
// DW_AT_variable_parameter.
func (ix *Index) params(f *Function, e *dwarf.Entry, r *dwarf.Reader, m *unitMeta) error {
	var kids []*dwarf.Entry
	if e.Children {
		for {
			c, err := r.Next()
			if err != nil {
				return err
			}
			if c == nil || c.Tag == 0 {
				break
			}
			if c.Children {
				r.SkipChildren()
			}
			if c.Tag == dwarf.TagFormalParameter {
				kids = append(kids, c)
			}
		}
	}
	ar := ix.d.Reader()
	for _, c := range kids {
		comp, _ := godwarf.LoadAbstractOriginAndSpecification(c, ar)
		v := Variable{}
		v.Name, _ = comp.Val(dwarf.AttrName).(string)
		if f.Lang == LangGo && v.Name == goDictParam {
			continue
		}
		if tOff, ok := comp.Val(dwarf.AttrType).(dwarf.Offset); ok {
			t, err := ix.types.typeAt(tOff, f.Lang)
			if err != nil {
				return fmt.Errorf("%s: parameter %s: %w", f.Name, v.Name, err)
			}
			v.Type = t
		} else {
			v.Type = voidType
		}
		v.Location, v.LocList = ix.describeLocation(c, m, f.Entry, f.Inlined)
		if vp, _ := comp.Val(dwarf.AttrVarParam).(bool); vp && f.Lang == LangGo {
			v.Result = true
			f.Results = append(f.Results, v)
			continue
		}
		f.Params = append(f.Params, v)
	}
	return nil
}
