package raw

import (
	"sort"
	"strings"
)

// LineRow is one row of a unit's line table, for callers that walk the
// rows themselves (the probe-able lines of a function).
type LineRow struct {
	Addr uint64
	File string
	Line int
	// End marks DW_LNE_end_sequence: the first address after a sequence.
	End bool
	// Stmt is the row's is_stmt flag.
	Stmt bool
}

// LineRows returns unit u's rows in the order libdw's dwarf_getsrclines
// gives them, which is what SystemTap's line queries see: by address, an
// end of sequence before a row that starts at the same address, and
// otherwise in the order the line program emitted them. The slice is a
// copy.
func (f *File) LineRows(u int) []LineRow {
	rows := f.lineTable(u).readRows() // already stably sorted by address
	out := make([]LineRow, len(rows))
	for i, r := range rows {
		out[i] = LineRow{Addr: r.addr, File: r.file, Line: r.line, End: r.end, Stmt: r.stmt}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Addr != out[j].Addr {
			return out[i].Addr < out[j].Addr
		}
		return out[i].End && !out[j].End
	})
	return out
}

// RowAt finds pc in rows (LineRows' order) the way libdw's
// dwarf_getsrc_die does: the last row at or below pc, unless that is an
// end of sequence. SystemTap starts a function's line walk at this row,
// so among rows sharing pc it must be the last (GCC often puts the
// declaration line, the opening line and the declaration line again at a
// function's entry).
func RowAt(rows []LineRow, pc uint64) (LineRow, bool) {
	i := sort.Search(len(rows), func(i int) bool { return rows[i].Addr > pc }) - 1
	if i < 0 || rows[i].End {
		return LineRow{}, false
	}
	return rows[i], true
}

// UnitsWithFile returns the units whose line table names a file that is
// file or ends in "/"+file, reading each unit's line-table header once.
func (f *File) UnitsWithFile(file string) []int {
	var out []int
	for u := range f.Units {
		for _, name := range f.lineTable(u).files {
			if SameFile(name, file) {
				out = append(out, u)
				break
			}
		}
	}
	return out
}

// SameFile reports whether the line table's name names file as a user
// spells it: the same path, or a path ending in "/"+file.
func SameFile(name, file string) bool {
	return name == file || strings.HasSuffix(name, "/"+file)
}
