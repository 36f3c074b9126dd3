package gopclntab

import (
	"debug/dwarf"
	"debug/elf"
	"testing"

	"github.com/stapgen/stapgen/internal/goruntime"
	"github.com/stapgen/stapgen/internal/testenv"
)

// dwarfTypes reads each wanted type's descriptor address from bin's
// DWARF (DW_AT_go_runtime_type of the type's entry): an independent path
// to it.
func dwarfTypes(t *testing.T, bin string, names []string) map[string]uint64 {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := f.DWARF()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	// Newer linkers write the address as an offset from runtime.types
	// (its symbol), older ones whole.
	var types uint64
	syms, _ := f.Symbols()
	for _, s := range syms {
		if s.Name == "runtime.types" {
			types = s.Value
		}
	}
	const attrGoRuntimeType = dwarf.Attr(0x2904)
	out := map[string]uint64{}
	for e := range testenv.Entries(t, d) {
		n, _ := e.Val(dwarf.AttrName).(string)
		if a, ok := e.Val(attrGoRuntimeType).(uint64); ok && want[n] {
			if a < types {
				a += types
			}
			out[n] = a
		}
	}
	return out
}

// TestTypeAddrs: the descriptors found by name in the runtime metadata
// are those the binary's DWARF names, for every toolchain's
// build with symbols and for its stripped twin (the same layout).
func TestTypeAddrs(t *testing.T) {
	want := map[string]uint8{}
	var names []string
	for _, l := range goruntime.ErrorLayouts {
		want[l.Name] = l.Kind
		names = append(names, l.Name)
	}
	want["syscall.Errno"] = goruntime.KindUintptr
	names = append(names, "syscall.Errno")
	tcs := []toolchain{{"host", "go"}}
	if !testing.Short() {
		tcs = toolchains(t)
	}
	for _, tc := range tcs {
		t.Run(tc.name, func(t *testing.T) {
			bin := testenv.GoFixtureWith(t, tc.goCmd, testenv.GoDefault)
			exp := dwarfTypes(t, bin, names)
			if len(exp) < 4 {
				t.Fatalf("only %d types in the DWARF of in %s: %v", len(exp), bin, exp)
			}
			for _, b := range []string{bin, testenv.GoFixtureWith(t, tc.goCmd, testenv.Strip(testenv.GoDefault))} {
				f, err := elf.Open(b)
				if err != nil {
					t.Fatal(err)
				}
				tab, err := Read(f)
				if err != nil {
					t.Fatal(err)
				}
				got, err := tab.TypeAddrs(want)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				for n, a := range exp {
					if got[n] != a {
						t.Errorf("%s: %s at %#x, its DWARF says %#x", b, n, got[n], a)
					}
				}
			}
		})
	}
}
