package debuginfo

import (
	"debug/dwarf"
	"sort"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// prologueEnds reads, with debug/dwarf alone, the address of every line
// table row marked prologue_end, sorted: the independent answer for
// PrologueEnd.
func prologueEnds(t *testing.T, path string) []uint64 {
	t.Helper()
	d := testenv.DWARF(t, path)
	var out []uint64
	r := d.Reader()
	for {
		cu, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if cu == nil {
			break
		}
		r.SkipChildren()
		lr, err := d.LineReader(cu)
		if err != nil || lr == nil {
			continue
		}
		var e dwarf.LineEntry
		for lr.Next(&e) == nil {
			if e.PrologueEnd && !e.EndSequence {
				out = append(out, e.Address)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// TestPrologueEndLinkModes: every main-package function of the fixture
// has a prologue_end row in its line table whatever the link mode. An
// externally linked binary carries the C linker's .debug_aranges, which
// name only the C units; PrologueEnd must still find the Go unit of each
// function. Each answer is checked against the line table read with
// debug/dwarf, and against the internally linked twin (same code, so the
// same distance from the entry).
func TestPrologueEndLinkModes(t *testing.T) {
	offsets := func(v testenv.GoVariant) map[string]uint64 {
		bin := testenv.GoFixture(t, v)
		rows := prologueEnds(t, bin)
		ix := openIndex(t, bin)
		fns, err := ix.Match("main.*")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]uint64{}
		for _, f := range fns {
			if f.Inlined {
				continue
			}
			i := sort.Search(len(rows), func(i int) bool { return rows[i] > f.Entry })
			var want uint64
			if i < len(rows) && rows[i] < f.End {
				want = rows[i]
			}
			got, ok := ix.PrologueEnd(f)
			if want == 0 {
				t.Errorf("%s %s: debug/dwarf finds no prologue_end in [%#x, %#x)", v, f.Name, f.Entry, f.End)
				continue
			}
			if !ok || got != want {
				t.Errorf("%s %s: PrologueEnd = %#x, %v; debug/dwarf's line table says %#x", v, f.Name, got, ok, want)
			}
			out[f.Name] = got - f.Entry
		}
		if len(out) < 20 {
			t.Errorf("%s: only %d functions", v, len(out))
		}
		return out
	}
	for _, pair := range [][2]testenv.GoVariant{{testenv.GoDefault, testenv.GoExternal}, {testenv.GoPIE, testenv.GoPIEExt}} {
		internal, external := offsets(pair[0]), offsets(pair[1])
		for name, off := range external {
			if in, ok := internal[name]; ok && in != off {
				t.Errorf("%s: prologue ends %#x past the entry in %s, %#x in %s", name, off, pair[1], in, pair[0])
			}
		}
		t.Logf("%s: %d functions, %s: %d", pair[0], len(internal), pair[1], len(external))
	}
}
