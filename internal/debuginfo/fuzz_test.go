package debuginfo

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stapgen/stapgen/internal/debuginfo/nameindex"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// FuzzLoad corrupts the DWARF of the C fixture (whose .debug_* sections
// are stored plainly) and runs every query: each must return a result or
// an error, never panic or hang.
func FuzzLoad(f *testing.F) {
	fuzzDWARF(f, testenv.CFixture(f, testenv.CO2), func(ix *Index) {
		ix.Lookup("walk")
		if st, err := ix.TypeByName("struct node"); err == nil {
			touchMembers(st, 3)
		}
	})
}

// FuzzLoadCXX is FuzzLoad on the C++ fixture: the name index walks its
// namespaces and classes, and functions get linkage names and prologue
// marks from the symbol and line tables.
func FuzzLoadCXX(f *testing.F) {
	fuzzDWARF(f, testenv.CXXFixture(f, testenv.CO0), func(ix *Index) {
		ix.Lookup("shop::geo::area")
		ix.Lookup("_ZN4shop3geo4areaEd")
		ix.Match("shop::*")
	})
}

// fuzzDWARF flips bytes of src's DWARF, opens the result and lists every
// function with its parameters' members, then runs queries.
func fuzzDWARF(f *testing.F, src string, queries func(*Index)) {
	data, err := os.ReadFile(src)
	if err != nil {
		f.Fatal(err)
	}
	b, err := target.Open(src)
	if err != nil {
		f.Fatal(err)
	}
	info := b.ELF().Section(".debug_info")
	abbrev := b.ELF().Section(".debug_abbrev")
	b.Close()
	f.Add(uint32(info.Offset+20), byte(0xff), uint16(1))
	f.Add(uint32(info.Offset), byte(0x00), uint16(4))
	f.Add(uint32(abbrev.Offset+3), byte(0x7f), uint16(2))
	f.Add(uint32(info.Offset+uint64(info.Size)/2), byte(0x13), uint16(64))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, at uint32, x byte, n uint16) {
		buf := append([]byte(nil), data...)
		for i := 0; i < int(n%256); i++ {
			p := int(at) + i*7
			if p >= len(buf) {
				break
			}
			buf[p] ^= x
		}
		p := filepath.Join(dir, "bin")
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := target.OpenWith(p, target.Options{NoSeparate: true})
		if err != nil {
			return
		}
		defer b.Close()
		ix, err := OpenWith(b, Options{NoCache: true})
		if err != nil {
			return
		}
		fns, _ := ix.Match("*")
		for _, fn := range fns {
			for _, v := range fn.Params {
				touchMembers(v.Type, 3)
			}
		}
		queries(ix)
	})
}

// touchMembers reads the members of t and of what they reach, depth
// levels deep: C members are read lazily, so a fuzzer must ask for them.
func touchMembers(t *Type, depth int) {
	if t == nil || depth == 0 {
		return
	}
	for _, m := range t.Members() {
		touchMembers(m.Type, depth-1)
	}
	touchMembers(t.Elem, depth-1)
}

// BenchmarkMatchGo lists every function of cmd/go with parameters and
// types, from a fresh open each time (no cache).
func BenchmarkMatchGo(b *testing.B) {
	bin := testenv.CmdGo(b)
	n := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix := openIndex(b, bin)
		fns, err := ix.Match("*")
		if err != nil {
			b.Fatal(err)
		}
		n = len(fns)
		ix.Binary().Close()
	}
	b.ReportMetric(float64(n), "funcs")
}

// TestCache checks that a persisted index is reused (same functions) and
// that a changed file is not served a stale one.
func TestCache(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "gofix")
	data, err := os.ReadFile(testenv.GoFixture(t, testenv.GoDefault))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bin, data, 0o755)
	open := func() *Index {
		b, err := target.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		ix, err := OpenWith(b, Options{CacheDir: filepath.Join(dir, "cache")})
		if err != nil {
			t.Fatal(err)
		}
		return ix
	}
	ix := open()
	first, err := ix.Match("main.*")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ix.CachePath()); err != nil {
		t.Fatalf("no cache written: %v", err)
	}
	ix2 := open()
	if nameindex.Load(ix2.cache, len(ix2.dw.Units)) == nil {
		t.Fatal("cache not reused")
	}
	second, err := ix2.Match("main.*")
	if err != nil || len(second) != len(first) {
		t.Fatalf("cached Match: %d functions, %v; want %d", len(second), err, len(first))
	}
	for i := range first {
		if first[i].Name != second[i].Name || first[i].Entry != second[i].Entry {
			t.Errorf("%d: %s@%#x vs %s@%#x", i, first[i].Name, first[i].Entry, second[i].Name, second[i].Entry)
		}
	}
	// Touch the file: the stamp no longer matches, the cache is ignored.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(bin, later, later); err != nil {
		t.Fatal(err)
	}
	if ix3 := open(); nameindex.Load(ix3.cache, len(ix3.dw.Units)) != nil {
		t.Error("stale cache served after the file changed")
	}
}

// TestOpenNoDWARF: a binary without DWARF gives the typed error with a
// hint, in one line.
func TestOpenNoDWARF(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cfix")
	testenv.NeedTool(t, "strip")
	if out, err := exec.Command("strip", "-o", p, testenv.CFixture(t, testenv.CO2)).CombinedOutput(); err != nil {
		t.Fatalf("strip: %v\n%s", err, out)
	}
	for _, bin := range []string{p, testenv.GoFixture(t, testenv.GoStripped)} {
		b, err := target.OpenWith(bin, target.Options{DebugDirs: []string{dir}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = Open(b)
		var nd *target.NoDebugInfoError
		if !errors.As(err, &nd) || !errors.Is(err, target.ErrNoDebugInfo) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: Open = %v, want one-line NoDebugInfoError", bin, err)
		}
		b.Close()
	}
}

// TestSeparateDebuginfo: a fully stripped binary with its DWARF in a
// build-id debug file is queried like the original.
func TestSeparateDebuginfo(t *testing.T) {
	testenv.NeedTool(t, "objcopy")
	dir := t.TempDir()
	src := testenv.CFixture(t, testenv.CO2)
	bin := filepath.Join(dir, "cfix")
	dbg := filepath.Join(dir, "cfix.debug")
	for _, args := range [][]string{
		{"--only-keep-debug", src, dbg},
		{"--strip-all", src, bin},
	} {
		if out, err := exec.Command("objcopy", args...).CombinedOutput(); err != nil {
			t.Fatalf("objcopy %v: %v\n%s", args, err, out)
		}
	}
	b0, err := target.OpenWith(bin, target.Options{NoSeparate: true})
	if err != nil {
		t.Fatal(err)
	}
	id := b0.BuildID
	b0.Close()
	root := filepath.Join(dir, "debug")
	p := filepath.Join(root, ".build-id", id[:2], id[2:]+".debug")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.Rename(dbg, p)

	b, err := target.OpenWith(bin, target.Options{DebugDirs: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ix, err := Open(b)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := ix.Lookup("walk")
	if err != nil || len(fs) != 1 || len(fs[0].Params) != 1 || fs[0].Params[0].Type.Name != "struct node*" {
		t.Fatalf("Lookup(walk) = %+v, %v", fs, err)
	}
	code, err := ix.Code(fs[0])
	if err != nil || len(code) == 0 {
		t.Errorf("Code from the stripped file: %v", err)
	}
}
