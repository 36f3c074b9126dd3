package debuginfo

import (
	"debug/dwarf"
	"fmt"
	"slices"

	"github.com/stapgen/stapgen/internal/debuginfo/raw"
)

// scope is a DIE that can hold variables (the subprogram, its lexical
// blocks) with its address ranges and its children read.
type scope struct {
	e *dwarf.Entry
	// entry is where stap starts the copy's line walk: the out-of-line
	// copy's entry, an inlined copy's DW_AT_entry_pc (else its lowest
	// address).
	entry uint64
	// caller names the function an inlined copy sits in.
	caller string
	ranges [][2]uint64
	vars   []*dwarf.Entry // formal_parameter and variable children, in order
	blocks []*scope       // lexical blocks and the like (not inlined calls)
}

func (s *scope) has(pc uint64) bool {
	for _, r := range s.ranges {
		if pc >= r[0] && pc < r[1] {
			return true
		}
	}
	return false
}

// readScope reads the subprogram at the global offset off and its nested
// blocks. Inlined calls are skipped: their variables are the callee's.
func readScope(v *raw.View, off dwarf.Offset) (*scope, error) {
	r := v.D.Reader()
	r.Seek(v.Local(off))
	e, err := r.Next()
	if err != nil {
		return nil, err
	}
	if e == nil || e.Tag != dwarf.TagSubprogram {
		return nil, fmt.Errorf("no subprogram at %#x", off)
	}
	return readChildren(v.D, r, e)
}

func readChildren(d *dwarf.Data, r *dwarf.Reader, e *dwarf.Entry) (*scope, error) {
	s := &scope{e: e}
	s.ranges, _ = d.Ranges(e)
	if !e.Children {
		return s, nil
	}
	for {
		c, err := r.Next()
		if err != nil {
			return nil, err
		}
		if c == nil || c.Tag == 0 {
			return s, nil
		}
		switch c.Tag {
		case dwarf.TagFormalParameter, dwarf.TagVariable:
			s.vars = append(s.vars, c)
		case dwarf.TagLexDwarfBlock, dwarf.TagWithStmt, dwarf.TagCatchDwarfBlock, dwarf.TagTryDwarfBlock, dwarf.TagEntryPoint:
			b, err := readChildren(d, r, c)
			if err != nil {
				return nil, err
			}
			s.blocks = append(s.blocks, b)
			continue
		}
		if c.Children {
			r.SkipChildren()
		}
	}
}

// chain is the scopes holding pc, innermost first, ending at s (stap's
// inner_die_containing_pc, then the walk out to the function).
func (s *scope) chain(pc uint64) []*scope {
	out := []*scope{s}
	cur := s
	for {
		var next *scope
		for _, b := range cur.blocks {
			if b.has(pc) {
				next = b
				break
			}
		}
		if next == nil {
			break
		}
		out = append(out, next)
		cur = next
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// varsAt are the variables stap -L lists at pc (tapsets.cxx saveargs):
// named, with a constant value or a non-empty location at pc (or at
// pc+5 when retry is set), and a type.
func (ix *Index) varsAt(fn *scope, m *raw.UnitMeta, pc uint64, f *Function, retry bool) ([]Variable, error) {
	ar := m.View.D.Reader()
	types := ix.typesOf(m.View)
	var out []Variable
	for _, s := range fn.chain(pc) {
		for _, e := range s.vars {
			comp := raw.WithOrigin(e, ar)
			name, _ := comp.Val(dwarf.AttrName).(string)
			if name == "" {
				continue
			}
			desc, ok := ix.locationAt(e, comp, m, pc)
			if !ok && retry {
				desc, ok = ix.locationAt(e, comp, m, pc+5)
			}
			if !ok {
				continue
			}
			tOff, ok := comp.Val(dwarf.AttrType).(dwarf.Offset)
			if !ok {
				continue
			}
			t, err := types.TypeAt(tOff, f.Lang)
			if err != nil {
				return nil, fmt.Errorf("variable %s: %w", name, err)
			}
			out = append(out, Variable{Name: name, Type: t, Location: desc})
		}
	}
	return out, nil
}

// locationAt describes where e lives at pc, false when it has no value
// there. A constant counts; DW_AT_location may come from an origin.
func (ix *Index) locationAt(e *dwarf.Entry, comp interface{ Val(dwarf.Attr) any }, m *raw.UnitMeta, pc uint64) (string, bool) {
	if comp.Val(dwarf.AttrConstValue) != nil {
		return "const", true
	}
	f := e.AttrField(dwarf.AttrLocation)
	if f == nil {
		// libdw's dwarf_attr_integrate: a static local's address may sit
		// on the abstract origin only.
		b, _ := comp.Val(dwarf.AttrLocation).([]byte)
		return raw.DescribeExpr(b), len(b) > 0 && !raw.Unusable(b)
	}
	switch f.Class {
	case dwarf.ClassExprLoc, dwarf.ClassBlock:
		b, _ := f.Val.([]byte)
		return raw.DescribeExpr(b), len(b) > 0 && !raw.Unusable(b)
	case dwarf.ClassLocListPtr, dwarf.ClassLocList:
		off, ok := f.Val.(int64)
		if !ok {
			return "", false
		}
		if f.Class == dwarf.ClassLocList {
			if off, ok = ix.dw.LoclistxOffset(m, off); !ok {
				return "", false
			}
		}
		b, ok := ix.dw.LocListAt(m, off, pc)
		if !ok || len(b) == 0 || raw.Unusable(b) {
			return "", false
		}
		return raw.DescribeExpr(b), true
	}
	return "", false
}

// inlinedCopies are the copies of the function whose abstract DIE is at
// origin (an offset of m's view) inlined into the unit's functions: stap
// probes a FUNCTION@FILE:LINE in them too.
func (ix *Index) inlinedCopies(m *raw.UnitMeta, origin dwarf.Offset) ([]*scope, error) {
	d := m.View.D
	byOrigin, err := ix.inlinedIn(m)
	if err != nil {
		return nil, err
	}
	hits := byOrigin[origin]
	r := d.Reader()
	var out []*scope
	for _, h := range hits {
		r.Seek(h.off)
		e, err := r.Next()
		if err != nil || e == nil {
			return nil, fmt.Errorf("inlined copy at %#x: %v", h.off, err)
		}
		c, err := readChildren(d, r, e)
		if err != nil {
			return nil, err
		}
		c.caller = h.caller
		c.entry = entryPC(e, c.ranges)
		// stap keeps inlined copies in a set ordered by entry pc (then
		// declaration): a copy nested in another at the same entry is one.
		if len(c.ranges) > 0 && !slices.ContainsFunc(out, func(o *scope) bool { return o.entry == c.entry }) {
			out = append(out, c)
		}
	}
	return out, nil
}

// entryPC is an inlined copy's DW_AT_entry_pc: an address, or (DWARF 5)
// an offset from its lowest address; else its first range's start.
func entryPC(e *dwarf.Entry, ranges [][2]uint64) uint64 {
	var lo uint64
	if len(ranges) > 0 {
		lo = ranges[0][0]
	}
	switch v := e.Val(dwarf.AttrEntrypc).(type) {
	case uint64:
		return v
	case int64:
		return lo + uint64(v)
	}
	return lo
}

// unitView keys what is read of a unit by the view it was read through
// (its offsets are the view's; a unit can move to the full view).
type unitView struct {
	unit int
	view *raw.View
}

// inlineHit is one inlined copy: its DIE and the function it sits in.
type inlineHit struct {
	off    dwarf.Offset
	caller string
}

// inlinedIn maps each abstract origin to its inlined copies in unit m,
// reading the unit whole once per index (a kernel unit has tens of
// thousands of DIEs; listing a file's functions would read it for each).
func (ix *Index) inlinedIn(m *raw.UnitMeta) (map[dwarf.Offset][]inlineHit, error) {
	key := unitView{m.Unit, m.View}
	if c, ok := ix.inlines[key]; ok {
		return c, nil
	}
	d := m.View.D
	r := d.Reader()
	r.Seek(m.Entry.Offset)
	if _, err := r.Next(); err != nil {
		return nil, err
	}
	ar := d.Reader()
	out := map[dwarf.Offset][]inlineHit{}
	depth, caller := 1, ""
	for depth > 0 {
		e, err := r.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		if e.Tag == 0 {
			depth--
			continue
		}
		if depth == 1 && e.Tag == dwarf.TagSubprogram {
			caller, _ = raw.WithOrigin(e, ar).Val(dwarf.AttrName).(string)
		}
		if e.Tag == dwarf.TagInlinedSubroutine {
			if o := raw.Origin(e); o != 0 {
				out[o] = append(out[o], inlineHit{e.Offset, caller})
			}
		}
		if e.Children {
			depth++
		}
	}
	if ix.inlines == nil {
		ix.inlines = map[unitView]map[dwarf.Offset][]inlineHit{}
	}
	ix.inlines[key] = out
	return out, nil
}
