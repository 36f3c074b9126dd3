package debuginfo

import (
	"debug/dwarf"
	"sort"

	"github.com/stapgen/stapgen/internal/debuginfo/nameindex"
	"github.com/stapgen/stapgen/internal/debuginfo/raw"
)

// LineFunctions is what FunctionsAtLine found.
type LineFunctions struct {
	// Funcs are the out-of-line functions declared in the file with code
	// of the line.
	Funcs []*Function
	// Coded is true when some code has the line, Funcs' or inlined copies'.
	Coded bool
	// Near are the closest lines of the file below and above with code.
	Near []int
}

// FunctionsAtLine finds the functions with code of line n of file (a
// path, or its tail: "namei.c", "fs/namei.c"), for a probe that names a
// line without its function. Only functions declared in that file count:
// code of a header's line inlined into a caller belongs to an inlined
// copy, which Lines does not list. Every unit's line-table header is
// read: about 0.7 s on a vmlinux.
func (ix *Index) FunctionsAtLine(file string, n int) (lf LineFunctions, err error) {
	var fns []*Function
	var near []int
	err = ix.do(func() error {
		seen := map[uint64]bool{}
		below, above := 0, 0
		for _, u := range ix.dw.UnitsWithFile(file) {
			for _, r := range ix.dw.LineRows(u) {
				if r.End || !raw.SameFile(r.File, file) {
					continue
				}
				if r.Line != n {
					if r.Line < n && r.Line > below {
						below = r.Line
					}
					if r.Line > n && (above == 0 || r.Line < above) {
						above = r.Line
					}
					continue
				}
				lf.Coded = true
				off, entry, ok := ix.subprogramContaining(u, r.Addr)
				if !ok || seen[entry] {
					continue
				}
				seen[entry] = true
				f, err := ix.function(nameindex.Ref{Off: off, Unit: int32(u), LowPC: entry, Code: true})
				if err != nil || !raw.SameFile(f.File, file) || r.File != f.File {
					continue
				}
				fns = append(fns, f)
			}
		}
		for _, l := range []int{below, above} {
			if l != 0 {
				near = append(near, l)
			}
		}
		return nil
	})
	sort.SliceStable(fns, func(i, j int) bool { return fns[i].Entry < fns[j].Entry })
	lf.Funcs, lf.Near = fns, near
	return lf, err
}

// subprogramContaining walks the top level of unit u for the subprogram
// whose ranges hold pc; it returns its offset and entry.
func (ix *Index) subprogramContaining(u int, pc uint64) (dwarf.Offset, uint64, bool) {
	v, cu, err := ix.dw.UnitEntry(u)
	if err != nil || !cu.Children {
		return 0, 0, false
	}
	r := v.D.Reader()
	r.Seek(cu.Offset)
	r.Next()
	for {
		e, err := r.Next()
		if err != nil || e == nil || e.Tag == 0 {
			return 0, 0, false
		}
		if e.Tag == dwarf.TagSubprogram {
			if rs, err := v.D.Ranges(e); err == nil {
				for _, rg := range rs {
					if pc >= rg[0] && pc < rg[1] {
						entry, _ := raw.PCRange(v.D, e)
						return v.Global(e.Offset), entry, true
					}
				}
			}
		}
		if e.Children {
			r.SkipChildren()
		}
	}
}

// IsClone reports whether f is a GCC clone of its function (its entry is
// the symbol getname_flags.part.0, not getname_flags): stap leaves such
// copies out of FUNCTION@FILE:LINE, so a line probe does not fire there.
func (ix *Index) IsClone(f *Function) bool {
	if f.Entry == 0 {
		return false
	}
	var clone bool
	ix.bin.Use(func() {
		syms, _ := ix.bin.SymbolsNamed(f.Name)
		for _, s := range syms {
			if s.Addr == f.Entry {
				if s.Name == f.Name {
					clone = false
					return
				}
				clone = true
			}
		}
	})
	return clone
}
