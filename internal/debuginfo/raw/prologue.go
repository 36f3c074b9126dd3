package raw

import "sort"

// OwnSequenceBody reports whether the function at [entry, end) of unit u
// starts a line sequence of its own after another's end (GCC puts each C++
// template instance and inline member in its own COMDAT section, each with
// its sequence), and if so the address of its first row on another line
// than the entry's: the end of the prologue by the classic rule. stap 4.8
// and 5.1 place .function().call at the entry of such functions, where
// -O0 code has not stored its parameters yet (cxxfix's biggest<long>).
// A function whose rows are all on one line (a constructor) is left out:
// stap skips its prologue in one build of cxxfix and not in another.
func (f *File) OwnSequenceBody(u int, entry, end uint64) (uint64, bool) {
	rows := f.lineTable(u).readRows()
	i := sort.Search(len(rows), func(i int) bool { return rows[i].addr >= entry })
	for i < len(rows) && rows[i].addr == entry && rows[i].end {
		i++ // the previous sequence ends where this one starts
	}
	if i >= len(rows) || rows[i].addr != entry {
		return 0, false
	}
	if i == 0 || !rows[i-1].end {
		// The unit's first sequence is its .text, whose functions stap
		// does skip the prologue of (cxxfix's shop::Cart::add).
		return 0, false
	}
	for j := i + 1; j < len(rows) && rows[j].addr < end; j++ {
		if rows[j].end {
			return 0, false
		}
		if rows[j].addr > entry && rows[j].line != rows[i].line {
			return rows[j].addr, true
		}
	}
	return 0, false
}
