package target

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

func TestBaseName(t *testing.T) {
	cases := []struct {
		in, base string
		clone    bool
	}{
		{"walk", "walk", false},
		{"walk.isra.0", "walk", true},
		{"tcp_v4_rcv.cold", "tcp_v4_rcv", true},
		{"foo.constprop.0.isra.0", "foo", true},
		{"bar.part.3", "bar", true},
		{"baz.cold.12", "baz", true},
		{"x.coldstart", "x.coldstart", false},
		{".isra.0", ".isra.0", false},
	}
	for _, c := range cases {
		b, ok := BaseName(c.in)
		if b != c.base || ok != c.clone {
			t.Errorf("BaseName(%q) = %q, %v; want %q, %v", c.in, b, ok, c.base, c.clone)
		}
	}
}

// TestGoABI0Symbols: ABI0 wrappers keep their target's name, marked, so
// lookups can prefer the ABIInternal body. readelf shows 100+ ".abi0"
// symbols in the fixture (internal/cpu.cpuid.abi0 among them).
func TestGoABI0Symbols(t *testing.T) {
	b, err := Open(testenv.GoFixture(t, testenv.GoDefault))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	st, err := b.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	got := st.Lookup("internal/cpu.cpuid")
	if len(got) != 1 || !got[0].ABI0 {
		t.Fatalf("internal/cpu.cpuid = %+v, want one ABI0 symbol", got)
	}
	if s, ok := st.At(got[0].Addr + 1); !ok || s.Name != "internal/cpu.cpuid" {
		t.Errorf("At(entry+1) = %+v, %v", s, ok)
	}
	ms := st.Lookup("main.Str")
	if len(ms) != 1 || ms[0].ABI0 || ms[0].Size == 0 {
		t.Fatalf("main.Str = %+v", ms)
	}
}

// FuzzOpen feeds truncated and bit-flipped fixtures to Open and every
// accessor: any input must give an error or a usable Binary, not a panic.
func FuzzOpen(f *testing.F) {
	for _, p := range []string{testenv.CFixture(f, testenv.CO0), testenv.GoFixture(f, testenv.GoDefault), relocatableObject(f)} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, n := range []int{64, 1024, 8192, len(data) / 3} {
			f.Add(append([]byte(nil), data[:min(n, len(data))]...))
		}
		if len(data) < 64<<10 {
			f.Add(data)
			flipped := append([]byte(nil), data...)
			for i := 40; i < len(flipped); i += 997 {
				flipped[i] ^= 0x5a
			}
			f.Add(flipped)
		}
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "in")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := OpenWith(p, Options{NoSeparate: true})
		if err != nil {
			if b != nil {
				t.Fatal("error with a non-nil Binary")
			}
			return
		}
		defer b.Close()
		b.SymbolsNamed("main")
		b.SymbolsNamed("walk")
		b.Symbols()
		b.RequireDWARF()
		for _, s := range []string{".debug_info", ".debug_abbrev", ".debug_line", ".debug_rnglists", ".gnu_debuglink", ".text"} {
			b.Section(s)
		}
		b.debugLink()
		b.ReadAt(b.ELF().Entry, 16)
	})
}

// TestSymbolsMatchDebugElf checks our direct .symtab reader against
// debug/elf's decoder on every fixture (and the kernel when present).
func TestSymbolsMatchDebugElf(t *testing.T) {
	paths := []string{testenv.CFixture(t, testenv.CO0), testenv.CFixture(t, testenv.CO2),
		testenv.GoFixture(t, testenv.GoDefault), testenv.GoFixture(t, testenv.GoPIE)}
	if testenv.KernelRelease() != "" {
		paths = append(paths, testenv.Vmlinux(t))
	}
	for _, p := range paths {
		b, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		st, err := b.Symbols()
		if err != nil {
			t.Fatal(err)
		}
		syms, err := b.ELF().Symbols()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{}
		for _, s := range syms {
			if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 && s.Section != elf.SHN_UNDEF {
				want[fmt.Sprintf("%s@%x+%d", s.Name, s.Value, s.Size)]++
			}
		}
		got := map[string]int{}
		for _, s := range st.Funcs {
			name := s.Name
			if s.ABI0 {
				name += ".abi0"
			}
			got[fmt.Sprintf("%s@%x+%d", name, s.Addr, s.Size)]++
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d distinct symbols, debug/elf %d", p, len(got), len(want))
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%s: %s ×%d, debug/elf ×%d", p, k, got[k], n)
				break
			}
		}
		b.Close()
	}
}

// TestSymbolsNamedMatchesTable: the scan behind SymbolsNamed answers what
// the built table answers (Lookup and Clones together), for plain names,
// clone bases, clone names, ABI0 wrappers and absent names, including the
// fall back to a separate debug file's table for a stripped binary.
func TestSymbolsNamedMatchesTable(t *testing.T) {
	dir := t.TempDir()
	stripped, dbg := filepath.Join(dir, "cfix"), filepath.Join(dir, "cfix.debug")
	run(t, "objcopy", "--only-keep-debug", testenv.CFixture(t, testenv.CO2), dbg)
	run(t, "objcopy", "--strip-all", "--add-gnu-debuglink="+dbg, testenv.CFixture(t, testenv.CO2), stripped)
	paths := []string{testenv.CFixture(t, testenv.CO0), testenv.CFixture(t, testenv.CO2), stripped,
		testenv.GoFixture(t, testenv.GoDefault), testenv.GoFixture(t, testenv.GoPIE)}
	if testenv.KernelRelease() != "" {
		paths = append(paths, testenv.Vmlinux(t))
	}
	for _, p := range paths {
		b, err := OpenWith(p, Options{DebugDirs: []string{t.TempDir()}})
		if err != nil {
			t.Fatal(err)
		}
		st, err := b.Symbols()
		if err != nil {
			t.Fatal(err)
		}
		names := st.Names()
		// Every name of a small table; an even sample of a kernel's, plus
		// the clone bases (which are not symbol names themselves).
		step := max(1, len(names)/400)
		var queries []string
		for i := 0; i < len(names); i += step {
			queries = append(queries, names[i], names[i]+".abi0", names[i]+"x")
		}
		for base := range st.byBase {
			if len(queries) > 1600 {
				break
			}
			queries = append(queries, base)
		}
		for _, q := range queries {
			b.namedScans.Store(0)
			got, err := b.SymbolsNamed(q)
			if err != nil {
				t.Fatalf("%s: %s: %v", p, q, err)
			}
			b.namedScans.Store(maxNamedScans)
			want, _ := b.SymbolsNamed(q)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %q scanned %+v, table %+v", filepath.Base(p), q, got, want)
			}
		}
		t.Logf("%s: %d names, %d queries agree", filepath.Base(p), len(names), len(queries))
		b.Close()
	}
}

// BenchmarkSymbolsNamedVmlinux is one exact-name query on a fresh mapping
// of the kernel (show's path); BenchmarkSymbolTableVmlinux builds the
// whole table instead (what globs and suggestions need).
func BenchmarkSymbolsNamedVmlinux(b *testing.B) {
	vm := testenv.Vmlinux(b)
	for i := 0; i < b.N; i++ {
		bin, err := OpenWith(vm, Options{DebugDirs: []string{}})
		if err != nil {
			b.Fatal(err)
		}
		if s, err := bin.SymbolsNamed("lookup_one_qstr_excl"); err != nil || len(s) != 1 {
			b.Fatal(s, err)
		}
		bin.Close()
	}
}

func BenchmarkSymbolTableVmlinux(b *testing.B) {
	vm := testenv.Vmlinux(b)
	for i := 0; i < b.N; i++ {
		bin, err := OpenWith(vm, Options{DebugDirs: []string{}})
		if err != nil {
			b.Fatal(err)
		}
		if st, err := bin.Symbols(); err != nil || len(st.Lookup("lookup_one_qstr_excl")) != 1 {
			b.Fatal(err)
		}
		bin.Close()
	}
}
