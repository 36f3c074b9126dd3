package dwtype

import (
	"debug/dwarf"
	"sync"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// TestCArraySpelling spells every array type of the afix fixture as stap
// does: the innermost element, as debug/dwarf names it, and one "[]" per
// array DIE, so char names[5][16] is "char[]" (stap 5.1 -L says so), and
// an array of the array typedef row is "row[]". It was "char[][]", which
// made line listings disagree with stap's.
func TestCArraySpelling(t *testing.T) {
	bin := testenv.CProgram(t, "afix", testenv.CO0)
	d := testenv.DWARF(t, bin)
	want := map[dwarf.Offset]string{}
	multi := 0
	eachArray(t, d, func(e *dwarf.Entry, dt, inner dwarf.Type) {
		if inner != dt.(*dwarf.ArrayType).Type {
			multi++
		}
		want[e.Offset] = inner.String() + "[]"
	})
	if multi < 3 {
		t.Fatalf("%d arrays, %d of several dimensions: the case is not exercised", len(want), multi)
	}
	var mu sync.Mutex
	tr := NewReader(d, 8, Shared{}, &mu, func(read func()) error { read(); return nil })
	for off, w := range want {
		got, err := tr.TypeAt(off, LangC)
		if err != nil {
			t.Errorf("%#x: %v", off, err)
			continue
		}
		if got.Name != w {
			t.Errorf("array at %#x spelled %q, want %q", off, got.Name, w)
		}
	}
}
