// Package symbolize names the frames of stap backtraces from the target's
// symbol table, for folded stacks.
package symbolize

import "github.com/stapgen/stapgen/internal/target"

// Unknown names a frame outside the table (a shared library, a module).
const Unknown = "[unknown]"

// Table names addresses of one binary (a program or a vmlinux).
type Table struct {
	st *target.Symtab
}

// New names frames with st.
func New(st *target.Symtab) *Table { return &Table{st: st} }

// pageSize is the alignment of every load bias: a PIE's base and the
// kernel's KASLR offset are both multiples of it.
const pageSize = 0x1000

// Frames names stack, innermost frame first as stap prints it, of a record
// taken at the entry of fn. The first frame is the probed address, inside
// fn, so the load bias is what moves fn's symbol onto it: the distance,
// rounded down to a page. Without such a symbol every frame is Unknown.
func (t *Table) Frames(fn string, stack []uint64) []string {
	out := make([]string, len(stack))
	bias, ok := t.bias(fn, stack)
	for i, a := range stack {
		out[i] = Unknown
		if !ok || a < bias {
			continue
		}
		pc := a - bias
		if i > 0 {
			pc-- // a return address: the call is the byte before it
		}
		if s, found := t.st.At(pc); found {
			out[i] = s.Name
		}
	}
	return out
}

func (t *Table) bias(fn string, stack []uint64) (uint64, bool) {
	if t == nil || t.st == nil || len(stack) == 0 {
		return 0, false
	}
	for _, s := range t.st.Lookup(fn) {
		if stack[0] < s.Addr {
			continue
		}
		b := (stack[0] - s.Addr) &^ (pageSize - 1)
		if pc := stack[0] - b; pc >= s.Addr && pc < s.Addr+max(s.Size, 1) {
			return b, true
		}
	}
	return 0, false
}
