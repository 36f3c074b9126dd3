package target

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	testenv.NeedTool(t, name)
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// splitDebug makes the Debian-style pair: a stripped binary with a
// .gnu_debuglink and its .debug file, with objcopy as the ground truth.
func splitDebug(t *testing.T, dir string) (bin, dbg string) {
	src := testenv.CFixture(t, testenv.CO2)
	bin = filepath.Join(dir, "cfix")
	dbg = filepath.Join(dir, "cfix.debug")
	run(t, "objcopy", "--only-keep-debug", src, dbg)
	run(t, "objcopy", "--strip-debug", "--add-gnu-debuglink="+dbg, src, bin)
	return bin, dbg
}

func TestSeparateByBuildID(t *testing.T) {
	dir := t.TempDir()
	bin, dbg := splitDebug(t, filepath.Join(dir))
	b0, err := OpenWith(bin, Options{NoSeparate: true})
	if err != nil {
		t.Fatal(err)
	}
	id := b0.BuildID
	if b0.HasDWARF() || id == "" {
		t.Fatalf("stripped copy: dwarf=%v build-id=%q", b0.HasDWARF(), id)
	}
	b0.Close()

	// Move the debug file away from the debuglink places into a build-id tree.
	root := filepath.Join(dir, "debugroot")
	p := filepath.Join(root, ".build-id", id[:2], id[2:]+".debug")
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.Rename(dbg, p); err != nil {
		t.Fatal(err)
	}
	b, err := OpenWith(bin, Options{DebugDirs: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.HasDWARF() || b.Debug == nil || b.Debug.Path != p {
		t.Fatalf("separate debuginfo not found by build-id (debug=%v)", b.Debug)
	}
	st, err := b.Symbols()
	if err != nil || len(st.Lookup("add")) != 1 {
		t.Errorf("symbols: add = %v, %v", st.Lookup("add"), err)
	}
}

// TestSeparateSymbols: a fully stripped binary keeps only .dynsym; the
// symbols of its debug file must be used instead.
func TestSeparateSymbols(t *testing.T) {
	dir := t.TempDir()
	src := testenv.CFixture(t, testenv.CO2)
	bin := filepath.Join(dir, "cfix")
	dbg := filepath.Join(dir, "cfix.debug")
	run(t, "objcopy", "--only-keep-debug", src, dbg)
	run(t, "objcopy", "--strip-all", "--add-gnu-debuglink="+dbg, src, bin)
	b, err := OpenWith(bin, Options{DebugDirs: []string{t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Debug == nil {
		t.Fatal("debug file not found")
	}
	st, err := b.Symbols()
	if err != nil || len(st.Lookup("walk")) != 1 {
		t.Fatalf("walk: %v, %v (static functions must come from the debug file)", st.Lookup("walk"), err)
	}
}

func TestSeparateByDebuglink(t *testing.T) {
	dir := t.TempDir()
	bin, dbg := splitDebug(t, dir)
	// The .debug/ subdirectory is one of the debuglink places.
	os.Mkdir(filepath.Join(dir, ".debug"), 0o755)
	moved := filepath.Join(dir, ".debug", filepath.Base(dbg))
	os.Rename(dbg, moved)
	b, err := OpenWith(bin, Options{DebugDirs: []string{t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Debug == nil || b.Debug.Path != moved {
		t.Fatalf("debuglink not followed: %+v", b.Debug)
	}

	// A debug file of another build must be refused.
	other := testenv.CFixture(t, testenv.CO0)
	os.Remove(moved)
	run(t, "objcopy", "--only-keep-debug", other, moved)
	b2, err := OpenWith(bin, Options{DebugDirs: []string{t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if b2.Debug != nil {
		t.Fatalf("mismatched debug file accepted: %s", b2.Debug.Path)
	}
	if err := b2.RequireDWARF(); !errors.Is(err, ErrNoDebugInfo) {
		t.Fatalf("RequireDWARF = %v", err)
	}
}

// TestCompressedDebugSections: both ELF compression styles objcopy can
// write must read back as the original bytes.
func TestCompressedDebugSections(t *testing.T) {
	src := testenv.CFixture(t, testenv.CO2)
	orig, err := Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	want, _ := orig.Section(".debug_info")
	for _, style := range []string{"zlib", "zlib-gnu"} {
		p := filepath.Join(t.TempDir(), "cfix")
		run(t, "objcopy", "--compress-debug-sections="+style, src, p)
		b, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := b.Section(".debug_info")
		if err != nil || string(got) != string(want) || len(want) == 0 {
			t.Errorf("%s: %d bytes, %v; want %d", style, len(got), err, len(want))
		}
		if !b.HasDWARF() {
			t.Errorf("%s: HasDWARF false", style)
		}
		b.Close()
	}
}
