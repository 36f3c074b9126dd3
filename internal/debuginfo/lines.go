package debuginfo

import (
	"fmt"
	"sort"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo/raw"
)

// Line is one place a source line of a function runs: what SystemTap's
// statement("FUNCTION@FILE:*") resolves to, one probe address each.
type Line struct {
	File string
	Line int
	// Addr is the probe address (a file virtual address).
	Addr uint64
	// InlinedIn names the function a copy of the function was inlined
	// into when the address is in that copy; "" in the out-of-line copy.
	InlinedIn string
	// Vars are the variables stap can read there: those of every scope
	// from the innermost block out to the function (or its inlined copy),
	// innermost first, that have a location at Addr (or a constant value)
	// and a type.
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

// Lines lists the probe-able lines of f with the variables in scope at
// each, as stap -L 'kernel.statement("F@FILE:*")' does, sorted by line
// and address. The rules are SystemTap's (tapsets.cxx, dwflpp.cxx): take
// the unit's line rows for f's file, sorted by line then address; in f's
// out-of-line copy, then in each copy inlined elsewhere in its unit,
// start at the line of the row at the entry and, for each following line
// number, keep its lowest address inside the copy, stopping at the first
// line number with no row inside; drop an address an earlier line took.
// is_stmt is not consulted (stap does not). A line can so be listed once
// per copy, with that copy's variables.
func (ix *Index) Lines(f *Function) (out []Line, err error) {
	err = ix.inFunction(f, func(copies []*scope, m *raw.UnitMeta, rows []raw.LineRow) error {
		var at []Line
		taken := map[uint64]bool{}
		for _, c := range copies {
			for _, l := range walkLines(rows, f.File, c.entry, c.has) {
				if !taken[l.Addr] {
					taken[l.Addr] = true
					at = append(at, l)
				}
			}
		}
		out, err = ix.sites(at, copies, m, f)
		return err
	})
	sortLines(out)
	return out, err
}

// sites expands each address to one Line per copy of f holding it, as
// stap makes one probe per such copy: an address in a copy that GCC
// inlined into f itself is in two.
func (ix *Index) sites(at []Line, copies []*scope, m *raw.UnitMeta, f *Function) ([]Line, error) {
	var out []Line
	for _, l := range at {
		for _, c := range copies {
			if !c.has(l.Addr) {
				continue
			}
			s := l
			if err := ix.fillVars(&s, c, m, f); err != nil {
				return nil, err
			}
			out = append(out, s)
		}
	}
	return out, nil
}

func sortLines(ls []Line) {
	sort.SliceStable(ls, func(i, j int) bool {
		if ls[i].Line != ls[j].Line {
			return ls[i].Line < ls[j].Line
		}
		return ls[i].Addr < ls[j].Addr
	})
}

// LineAt is line n of f as a probe on FUNCTION@FILE:n resolves it: in
// each copy of f, stap takes the lowest address of the line's rows inside
// it, also for a line that Lines leaves out because an earlier line has
// that address (a declaration sharing its address with the statement
// before). None when no row of line n is inside a copy of f.
func (ix *Index) LineAt(f *Function, n int) (out []Line, err error) {
	err = ix.inFunction(f, func(copies []*scope, m *raw.UnitMeta, rows []raw.LineRow) error {
		var at []Line
		taken := map[uint64]bool{}
		for _, c := range copies {
			for _, r := range rows { // by address: the first inside is the lowest
				if r.File == f.File && r.Line == n && !r.End && c.has(r.Addr) {
					if !taken[r.Addr] {
						taken[r.Addr] = true
						at = append(at, Line{File: f.File, Line: n, Addr: r.Addr})
					}
					break
				}
			}
		}
		out, err = ix.sites(at, copies, m, f)
		return err
	})
	sortLines(out)
	return out, err
}

// inFunction runs q on the copies of f (its out-of-line subprogram, then
// the copies inlined in its unit), the unit and the unit's line rows.
func (ix *Index) inFunction(f *Function, q func(copies []*scope, m *raw.UnitMeta, rows []raw.LineRow) error) error {
	if f.NoTypes || f.Entry == 0 && !f.Inlined {
		return fmt.Errorf("%s: no DWARF for its code, so no lines to list", f.Name)
	}
	return ix.do(func() error {
		if f.Inlined {
			return ix.inlineOnly(f, q)
		}
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
		fn.entry = f.Entry
		copies := []*scope{fn}
		if origin := raw.Origin(fn.e); origin != 0 {
			inl, err := ix.inlinedCopies(m, origin)
			if err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
			copies = append(copies, inl...)
		}
		return q(copies, m, ix.dw.LineRows(u))
	})
}

// inlineOnly runs q on the copies of an inline-only function inlined in
// the unit of its abstract DIE (a static inline of a .c file; a header's
// copies in other units, each with its own abstract DIE, are other
// Functions of the same name).
func (ix *Index) inlineOnly(f *Function, q func(copies []*scope, m *raw.UnitMeta, rows []raw.LineRow) error) error {
	m := ix.dw.Meta(f.unit)
	if m == nil || f.die == 0 || !ix.dw.Holds(f.unit, f.die) {
		return fmt.Errorf("%s: its DWARF is not at hand", f.Name)
	}
	copies, err := ix.inlinedCopies(m, m.View.Local(f.die))
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	if len(copies) == 0 {
		return fmt.Errorf("%s: declared inline, but no copy of it has code", f.Name)
	}
	return q(copies, m, ix.dw.LineRows(f.unit))
}

// fillVars sets l.Vars from copy c. At a function's entry in a kernel
// built with -mfentry, stap looks a location up again 5 bytes on, past
// the call to __fentry__ (its PR15123 heuristic), and so does this.
func (ix *Index) fillVars(l *Line, c *scope, m *raw.UnitMeta, f *Function) error {
	retry := strings.Contains(m.Producer, "-mfentry") && l.Addr == f.Entry
	vars, err := ix.varsAt(c, m, l.Addr, f, retry)
	if err != nil {
		return fmt.Errorf("%s: line %d: %w", f.Name, l.Line, err)
	}
	l.Vars = vars
	l.InlinedIn = c.caller
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
