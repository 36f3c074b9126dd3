package target

import (
	"bytes"
	"debug/dwarf"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// relocSource has functions in three sections (-ffunction-sections), as
// a module has .text, .init.text and .exit.text, all at address 0 in the
// file.
const relocSource = `
static int counter;
__attribute__((noinline)) int first(int a) { return a + counter; }
__attribute__((noinline)) int second(long b, char *c) { counter += b; return c[0]; }
__attribute__((section(".init.text"))) int init_it(void) { return first(1) + second(2, "x"); }
`

// relocatableObject compiles relocSource to an ET_REL object with DWARF 5.
func relocatableObject(t testing.TB) string {
	t.Helper()
	gcc := testenv.NeedTool(t, "gcc")
	dir := t.TempDir()
	src := filepath.Join(dir, "m.c")
	if err := os.WriteFile(src, []byte(relocSource), 0o644); err != nil {
		t.Fatal(err)
	}
	obj := filepath.Join(dir, "m.o")
	if out, err := exec.Command(gcc, "-g", "-O2", "-ffunction-sections", "-c", "-o", obj, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return obj
}

// TestRelocatableDWARF reads an object's DWARF through Section (relocated
// here) and checks every function's low_pc against the standard
// library's reading, which relocates by symbol value alone: ours adds
// where the function's section was placed, and no two functions share an
// address.
func TestRelocatableDWARF(t *testing.T) {
	obj := relocatableObject(t)
	b, err := OpenWith(obj, Options{NoSeparate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.Relocatable() {
		t.Fatal("an object file is not Relocatable")
	}
	sec := func(name string) []byte {
		d, err := b.Section(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return d
	}
	ours, err := dwarf.New(sec(".debug_abbrev"), nil, nil, sec(".debug_info"), sec(".debug_line"), nil, sec(".debug_ranges"), sec(".debug_str"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{".debug_line_str", ".debug_rnglists", ".debug_addr", ".debug_str_offsets"} {
		if d := sec(s); len(d) > 0 {
			if err := ours.AddSection(s, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	lows := func(d *dwarf.Data) map[string]uint64 {
		out := map[string]uint64{}
		for e := range testenv.Entries(t, d) {
			name, _ := e.Val(dwarf.AttrName).(string)
			if lo, ok := e.Val(dwarf.AttrLowpc).(uint64); ok && e.Tag == dwarf.TagSubprogram && name != "" {
				out[name] = lo
			}
		}
		return out
	}
	got, want := lows(ours), lows(testenv.DWARF(t, obj))
	ef, err := elf.Open(obj)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	syms, _ := ef.Symbols()
	secOf := map[string]elf.SectionIndex{}
	for _, s := range syms {
		secOf[s.Name] = s.Section
	}
	seen := map[uint64]string{}
	for _, name := range []string{"first", "second", "init_it"} {
		base, ok := b.SectionAddr(secOf[name])
		w, okw := want[name]
		if !ok || !okw {
			t.Fatalf("%s: no section or no standard-library low_pc", name)
		}
		if got[name] != base+w || base == 0 {
			t.Errorf("%s: low_pc %#x, want %#x (section at %#x + %#x)", name, got[name], base+w, base, w)
		}
		if other, dup := seen[got[name]]; dup {
			t.Errorf("%s and %s share address %#x", name, other, got[name])
		}
		seen[got[name]] = name
		st, _ := b.SymbolsNamed(name)
		if len(st) != 1 || st[0].Addr != got[name] {
			t.Errorf("%s: symbol %+v, DWARF says %#x", name, st, got[name])
		}
	}
}

// TestRelocateHostile: relocations pointing past their section or at a
// symbol that does not exist are errors, not panics or silent garbage.
func TestRelocateHostile(t *testing.T) {
	data, err := os.ReadFile(relocatableObject(t))
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rela := f.Section(".rela.debug_info")
	if rela == nil {
		t.Fatal("no .rela.debug_info")
	}
	for _, tc := range []struct {
		name  string
		field int // byte offset in the first entry
		val   uint64
	}{
		{"offset past the end", 0, 1 << 40},
		{"symbol out of range", 8, uint64(1<<20)<<32 | 1},
		{"unknown type", 8, uint64(1)<<32 | 99},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := append([]byte(nil), data...)
			f.ByteOrder.PutUint64(bad[rela.Offset+uint64(tc.field):], tc.val)
			p := filepath.Join(t.TempDir(), "bad.o")
			os.WriteFile(p, bad, 0o644)
			b, err := OpenWith(p, Options{NoSeparate: true})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if _, err := b.Section(".debug_info"); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
