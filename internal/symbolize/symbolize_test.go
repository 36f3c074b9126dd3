package symbolize

import (
	"testing"

	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestFrames: a PIE's stack as ubacktrace prints it (the probed address,
// then return addresses, then a shared library's) is named once the load
// bias is found from the probed function, for any page-aligned bias.
func TestFrames(t *testing.T) {
	bin, err := target.Open(testenv.CFixture(t, testenv.CO2))
	if err != nil {
		t.Fatal(err)
	}
	defer bin.Close()
	st, err := bin.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	sym := func(name string) target.Symbol {
		s := st.Lookup(name)
		if len(s) == 0 {
			t.Fatalf("no symbol %s", name)
		}
		return s[0]
	}
	greet, main := sym("greet"), sym("main")
	tab := New(st)
	for _, bias := range []uint64{0, 0x5567a3f24000, 0xffffffff80000000 - 0x1000000} {
		stack := []uint64{bias + greet.Addr, bias + main.Addr + 5, 0x7f800a58fca8}
		got := tab.Frames("greet", stack)
		want := []string{"greet", "main", Unknown}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("bias %#x: %q, want %q", bias, got, want)
				break
			}
		}
	}
	// A stack whose first frame is not in the probed function names nothing.
	if got := tab.Frames("greet", []uint64{main.Addr + 0x123456789}); got[0] != Unknown {
		t.Errorf("unrelated stack named %q", got)
	}
	if got := (*Table)(nil).Frames("greet", []uint64{1}); got[0] != Unknown {
		t.Errorf("no table: %q", got)
	}
}
