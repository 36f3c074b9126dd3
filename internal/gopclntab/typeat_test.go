package gopclntab

import (
	"debug/dwarf"
	"debug/elf"
	"regexp"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// dwarfDesc is what a binary's DWARF says of one type with a runtime
// descriptor: an independent account of what TypeAt reads.
type dwarfDesc struct {
	name string
	kind uint8
	size int64
}

// dwarfDescs maps every descriptor address bin's DWARF names
// (DW_AT_go_runtime_type) to the type's name, kind (DW_AT_go_kind) and
// size.
func dwarfDescs(t *testing.T, bin string) map[uint64]dwarfDesc {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := testenv.DWARF(t, bin)
	var types uint64
	syms, _ := f.Symbols()
	for _, s := range syms {
		if s.Name == "runtime.types" {
			types = s.Value
		}
	}
	const attrGoKind, attrGoRuntimeType = dwarf.Attr(0x2900), dwarf.Attr(0x2904)
	out := map[uint64]dwarfDesc{}
	for e := range testenv.Entries(t, d) {
		a, ok := e.Val(attrGoRuntimeType).(uint64)
		kind, ok2 := e.Val(attrGoKind).(int64)
		if !ok || !ok2 || a == 0 {
			continue // 0: a type DWARF alone has (hchan<int>)
		}
		if a < types {
			a += types
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		size, _ := e.Val(dwarf.AttrByteSize).(int64)
		out[a] = dwarfDesc{name: name, kind: uint8(kind), size: size}
	}
	return out
}

// TestTypeAt: every type descriptor the fixture's DWARF points at reads
// back with the DWARF's kind and size, and its name where both spell it
// alike (DWARF qualifies a type by its package's path, the descriptor by
// its package's name: plainName); from the stripped twin the same. The default build
// and the PIE (whose descriptors' pointers are relocations), with each
// toolchain in the long run.
func TestTypeAt(t *testing.T) {
	tcs := []toolchain{{"host", "go"}}
	if !testing.Short() {
		tcs = toolchains(t)
	}
	for _, tc := range tcs {
		for _, v := range []testenv.GoVariant{testenv.GoDefault, testenv.GoPIE} {
			t.Run(tc.name+"/"+string(v), func(t *testing.T) {
				bin := testenv.GoFixtureWith(t, tc.goCmd, v)
				exp := dwarfDescs(t, bin)
				if len(exp) < 100 {
					t.Fatalf("only %d described types in %s", len(exp), bin)
				}
				for _, b := range []string{bin, testenv.GoFixtureWith(t, tc.goCmd, testenv.Strip(v))} {
					checkTypeAt(t, b, exp)
				}
			})
		}
	}
}

// plainName is a named type (or a pointer to one) as both spell it: a
// package's last path element, no compiler decorations ("noalg.",
// a local type's "·N").
var plainName = regexp.MustCompile(`^\*?[a-z0-9_]+\.[A-Za-z_][A-Za-z0-9_]*$`)

func checkTypeAt(t *testing.T, bin string, exp map[uint64]dwarfDesc) {
	tab := openTable(t, bin)
	named := 0
	for a, w := range exp {
		got, err := tab.TypeAt(a)
		if err != nil {
			t.Errorf("%s: %s at %#x: %v", bin, w.name, a, err)
			continue
		}
		// Kind 0: older Go (1.19, 1.21) gives pointer types no kind.
		if w.kind != 0 && got.Kind != w.kind || w.size > 0 && got.Size != uint64(w.size) {
			t.Errorf("%s: %#x: kind %d size %d; DWARF says %s is kind %d size %d", bin, a, got.Kind, got.Size, w.name, w.kind, w.size)
		}
		if plainName.MatchString(w.name) {
			named++
			if got.Name != w.name {
				t.Errorf("%s: %#x: %q; DWARF says %q", bin, a, got.Name, w.name)
			}
		}
	}
	if named < 50 {
		t.Errorf("%s: only %d names compared", bin, named)
	}
	for _, a := range []uint64{0, 1, 0x10} {
		if _, err := tab.TypeAt(a); err == nil {
			t.Errorf("%s: TypeAt(%#x) found a type", bin, a)
		}
	}
}

// openTable reads bin's function table, the file open until t ends.
func openTable(t *testing.T, bin string) *Table {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	tab, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}
