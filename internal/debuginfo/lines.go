package debuginfo

import (
	"debug/dwarf"
	"fmt"
	"sort"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo/raw"
)

// Line is one probe-able source line of a function: what SystemTap's
// statement("FUNCTION@FILE:*") resolves to, one probe address per line.
type Line struct {
	File string
	Line int
	// Addr is the probe address (a file virtual address).
	Addr uint64
	// Vars are the variables stap can read there: those of every scope
	// from the innermost block out to the function, innermost first, that
	// have a location at Addr (or a constant value) and a type.
	Vars []Variable
}

// Spec is the line as a probe names it: FUNCTION@FILE:LINE.
func (l Line) Spec(function string) string { return fmt.Sprintf("%s@%s:%d", function, l.File, l.Line) }

// Var returns the variable named name at the line.
func (l Line) Var(name string) (Variable, bool) {
	for _, v := range l.Vars {
		if v.Name == name {
			return v, true
		}
	}
	return Variable{}, false
}

// Lines lists the probe-able lines of f's out-of-line copy with the
// variables in scope at each, as stap -L 'kernel.statement("F@FILE:*")'
// does. The rules are SystemTap's (tapsets.cxx, dwflpp.cxx): take the
// unit's line rows for f's file, sorted by line then address; start at
// the line of the row at f's entry; for each following line number, keep
// its lowest address inside f's ranges, stopping at the first line number
// with no row inside f; drop a line whose address an earlier line took.
// is_stmt is not consulted (stap does not). Inlined copies of f in other
// functions are not listed (stap adds them; a probe on FUNCTION@FILE:LINE
// would fire in them too).
func (ix *Index) Lines(f *Function) (out []Line, err error) {
	err = ix.inFunction(f, func(fn *scope, m *raw.UnitMeta, rows []raw.LineRow) error {
		for _, l := range walkLines(rows, f.File, f.Entry, fn.has) {
			if err := ix.fillVars(&l, fn, m, f); err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

// LineAt is line n of f as a probe on FUNCTION@FILE:n resolves it: stap
// takes the lowest address of the line's rows inside f, also for a line
// that Lines leaves out because an earlier line has that address (a
// declaration sharing its address with the statement before). False when
// no row of line n is inside f.
func (ix *Index) LineAt(f *Function, n int) (l Line, ok bool, err error) {
	err = ix.inFunction(f, func(fn *scope, m *raw.UnitMeta, rows []raw.LineRow) error {
		for _, r := range rows { // by address: the first inside is the lowest
			if r.File == f.File && r.Line == n && !r.End && fn.has(r.Addr) {
				l, ok = Line{File: f.File, Line: n, Addr: r.Addr}, true
				return ix.fillVars(&l, fn, m, f)
			}
		}
		return nil
	})
	return l, ok, err
}

// inFunction runs q on f's subprogram scope tree, its unit and the
// unit's line rows.
func (ix *Index) inFunction(f *Function, q func(fn *scope, m *raw.UnitMeta, rows []raw.LineRow) error) error {
	if f.Inlined || f.Entry == 0 || f.NoTypes {
		return fmt.Errorf("%s: no out-of-line code with DWARF, so no lines to list", f.Name)
	}
	return ix.do(func() error {
		u, ok := ix.dw.UnitAt(f.Entry)
		if !ok {
			return fmt.Errorf("%s: no compilation unit covers %#x", f.Name, f.Entry)
		}
		off, ok := ix.scanUnitFor(u, f.Entry)
		if !ok {
			return fmt.Errorf("%s: no subprogram entered at %#x", f.Name, f.Entry)
		}
		m := ix.dw.Meta(u)
		if m == nil {
			return fmt.Errorf("%s: unreadable unit", f.Name)
		}
		fn, err := readScope(m.View, off)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		return q(fn, m, ix.dw.LineRows(u))
	})
}

// fillVars sets l.Vars. At a function's entry in a kernel built with
// -mfentry, stap looks a location up again 5 bytes on, past the call to
// __fentry__ (its PR15123 heuristic), and so does this.
func (ix *Index) fillVars(l *Line, fn *scope, m *raw.UnitMeta, f *Function) error {
	retry := strings.Contains(m.Producer, "-mfentry") && l.Addr == f.Entry
	vars, err := ix.varsAt(fn, m, l.Addr, f, retry)
	if err != nil {
		return fmt.Errorf("%s: line %d: %w", f.Name, l.Line, err)
	}
	l.Vars = vars
	return nil
}

// walkLines is stap's collect_all_lines for one function over the unit's
// rows (libdw order); in reports whether an address is inside the function.
func walkLines(rows []raw.LineRow, file string, entry uint64, in func(uint64) bool) []Line {
	start, ok := raw.RowAt(rows, entry)
	if !ok || start.Addr != entry {
		// No row at the entry (an inlined start): the first row inside.
		ok = false
		for _, r := range rows {
			if in(r.Addr) {
				start, ok = r, true
				break
			}
		}
		if !ok {
			return nil
		}
	}
	var byLine []raw.LineRow
	for _, r := range rows {
		if r.File == file {
			byLine = append(byLine, r)
		}
	}
	sort.SliceStable(byLine, func(i, j int) bool {
		if byLine[i].Line != byLine[j].Line {
			return byLine[i].Line < byLine[j].Line
		}
		return byLine[i].Addr < byLine[j].Addr
	})
	var out []Line
	taken := map[uint64]bool{}
	i := sort.Search(len(byLine), func(i int) bool { return byLine[i].Line >= start.Line })
	lineno := start.Line
	for {
		j := i
		for j < len(byLine) && byLine[j].Line == lineno {
			j++
		}
		found := false
		for _, r := range byLine[i:j] {
			if in(r.Addr) {
				found = true
				if !taken[r.Addr] {
					taken[r.Addr] = true
					out = append(out, Line{File: file, Line: lineno, Addr: r.Addr})
				}
				break
			}
		}
		if !found || j >= len(byLine) {
			return out
		}
		i, lineno = j, byLine[j].Line
	}
}

// scope is a DIE that can hold variables (the subprogram, its lexical
// blocks) with its address ranges and its children read.
type scope struct {
	e      *dwarf.Entry
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
		return raw.DescribeExpr(b), len(b) > 0
	}
	switch f.Class {
	case dwarf.ClassExprLoc, dwarf.ClassBlock:
		b, _ := f.Val.([]byte)
		return raw.DescribeExpr(b), len(b) > 0
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
		if !ok || len(b) == 0 {
			return "", false
		}
		return raw.DescribeExpr(b), true
	}
	return "", false
}
