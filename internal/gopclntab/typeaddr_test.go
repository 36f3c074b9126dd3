package gopclntab

import (
	"slices"
	"testing"

	"github.com/stapgen/stapgen/internal/goruntime"
	"github.com/stapgen/stapgen/internal/testenv"
)

// dwarfTypes reads each wanted type's descriptor address from bin's
// DWARF (DW_AT_go_runtime_type of the type's entry): an independent path
// to it.
func dwarfTypes(t *testing.T, bin string, names []string) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for a, d := range dwarfDescs(t, bin) {
		if slices.Contains(names, d.name) {
			out[d.name] = a
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
				got, err := openTable(t, b).TypeAddrs(want)
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
