package dwtype

import (
	"debug/dwarf"
	"debug/elf"
	"sync"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// TestStructsAgreeWithDebugDWARF converts every named struct of the C and
// Go fixtures and checks size and members (names, byte offsets, bitfield
// places and widths) against the standard library's own DWARF type decoder.
func TestStructsAgreeWithDebugDWARF(t *testing.T) {
	for _, tc := range []struct {
		path string
		lang Lang
	}{
		{testenv.CFixture(t, testenv.CO2), LangC},
		{testenv.GoFixture(t, testenv.GoDefault), LangGo},
	} {
		f, err := elf.Open(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.DWARF()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		tr := NewReader(d, 8, Shared{}, &mu, func(read func()) error { read(); return nil })
		r := d.Reader()
		checked := 0
		for {
			e, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if e == nil {
				break
			}
			name, _ := e.Val(dwarf.AttrName).(string)
			if e.Tag != dwarf.TagStructType || name == "" || e.Val(dwarf.AttrDeclaration) != nil {
				continue
			}
			want, err := d.Type(e.Offset)
			if err != nil {
				t.Fatal(err)
			}
			st := want.(*dwarf.StructType)
			got, err := tr.TypeAt(e.Offset, tc.lang)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got.Size != st.ByteSize {
				t.Errorf("%s: size %d, debug/dwarf %d", name, got.Size, st.ByteSize)
			}
			ms := got.Members()
			if len(ms) != len(st.Field) {
				t.Errorf("%s: %d members, debug/dwarf %d", name, len(ms), len(st.Field))
				continue
			}
			for i, sf := range st.Field {
				// A bitfield's place is its DW_AT_data_bit_offset (GCC's
				// DWARF 5), which debug/dwarf keeps apart from ByteOffset.
				off, wantOff := ms[i].Offset, sf.ByteOffset
				if sf.BitSize > 0 {
					off, wantOff = ms[i].BitOffset, sf.DataBitOffset
				}
				if ms[i].Name != sf.Name || off != wantOff || ms[i].BitSize != sf.BitSize {
					t.Errorf("%s.%s: @%d bits %d, debug/dwarf %s @%d bits %d", name, ms[i].Name, off, ms[i].BitSize, sf.Name, wantOff, sf.BitSize)
				}
			}
			checked++
		}
		if checked < 3 {
			t.Errorf("%s: only %d structs checked", tc.path, checked)
		}
		t.Logf("%s: %d structs agree", tc.path, checked)
	}
}
