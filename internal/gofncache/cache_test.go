package gofncache

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// sample is a function whose types form a cycle (a list node pointing to
// itself) and share a type between two parameters.
func sample() []Func {
	node := &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "struct main.node", GoName: "main.node", Size: 16}
	ptr := &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "main.node*", GoName: "*main.node", Size: 8, Elem: node}
	i64 := &debuginfo.Type{Kind: debuginfo.KindInt, Name: "long int", GoName: "int", Size: 8}
	node.Fields = []debuginfo.Field{{Name: "v", Type: i64}, {Name: "next", Type: ptr, Offset: 8}}
	f := &debuginfo.Function{Name: "main.walk", Lang: debuginfo.LangGo, File: "/src/main.go", Line: 12, Entry: 0x401000, End: 0x401080,
		Params:  []debuginfo.Variable{{Name: "n", Type: ptr, Location: "loclist", LocList: true}, {Name: "m", Type: ptr}},
		Results: []debuginfo.Variable{{Name: "~r0", Type: i64, Result: true}}}
	return []Func{{F: f, Layout: true, Body: 0x40100a, Rets: []uint64{0x401050, 0x40107f},
		Params:  []goabi.Loc{{Pieces: []goabi.Piece{{Reg: "rax", Size: 8}}}, {Pieces: []goabi.Piece{{Reg: "rbx", Size: 8}}}},
		Results: []goabi.Loc{{Pieces: []goabi.Piece{{Reg: "rax", Size: 8}}}}, TypesWhyNot: "why",
		RetsOK: true, HomesOK: true, Check: &StackCheck{Frame: 24, Guard: 16, Body: 0x40100a, BodySP: 8, Stub: 0x401070, End: 0x401080}}}
}

// fixture copies the Go fixture where the test may change it, and opens it.
func fixture(t testing.TB) (string, *target.Binary) {
	src := testenv.GoFixture(t, testenv.GoDefault)
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "gofix")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p, open(t, p)
}

func open(t testing.TB, p string) *target.Binary {
	bin, err := target.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bin.Close() })
	return bin
}

// TestRoundTrip: what Store kept, Load gives back, cycle and sharing
// included; the file is private to its owner.
func TestRoundTrip(t *testing.T) {
	_, bin := fixture(t)
	c := New(bin, t.TempDir())
	c.Store("main.walk", sample(), nil)
	got, ok := c.Load("main.walk")
	if !ok {
		t.Fatal("stored entry not loaded")
	}
	if !reflect.DeepEqual(got, sample()) {
		t.Errorf("loaded %+v\nwant %+v", got[0].F, sample()[0].F)
	}
	p := got[0].F.Params
	if p[0].Type != p[1].Type || p[0].Type.Elem.Fields[1].Type != p[0].Type {
		t.Error("shared or cyclic type loaded as copies")
	}
	if _, ok := c.Load("main.other"); ok {
		t.Error("a name never stored loaded")
	}
	st, err := os.Stat(c.Path("main.walk"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("entry file: %v %v", st.Mode(), err)
	}
}

// TestStale: an entry is a miss once stapgen was rebuilt, once the binary at its path changed
// (contents, or only its mtime, which a rebuild with a fixed build-id
// gives), under another build-id, under other type options, and once a
// source directory it consulted changed.
func TestStale(t *testing.T) {
	dir := t.TempDir()
	p, bin := fixture(t)
	c := New(bin, dir)
	c.Store("main.walk", sample(), nil)
	if _, ok := c.Load("main.walk"); !ok {
		t.Fatal("fresh entry not loaded")
	}
	if _, ok := New(bin, dir, "--signature").Load("main.walk"); ok {
		t.Error("entry loaded under other type options")
	}
	was := self
	self = func() string { return "a rebuilt stapgen" }
	_, ok := c.Load("main.walk")
	self = was
	if ok {
		t.Error("entry made by another stapgen loaded")
	}

	// Another build-id: the same entry file where another binary's
	// entry for the name would be.
	other := open(t, testenv.GoFixture(t, testenv.GoNoOpt))
	oc := New(other, dir)
	os.MkdirAll(filepath.Dir(oc.Path("main.walk")), 0o700)
	copyFile(t, c.Path("main.walk"), oc.Path("main.walk"))
	if _, ok := oc.Load("main.walk"); ok {
		t.Error("entry of another build-id loaded")
	}

	// The same bytes with a new mtime, then other bytes.
	later := mtime(t, p).Add(3e9)
	os.Chtimes(p, later, later)
	if _, ok := New(open(t, p), dir).Load("main.walk"); ok {
		t.Error("entry loaded after the binary's mtime changed")
	}
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{0})
	f.Close()
	if _, ok := New(open(t, p), dir).Load("main.walk"); ok {
		t.Error("entry loaded after the binary grew")
	}

	// A source directory that gains a file.
	src := t.TempDir()
	c = New(open(t, p), dir)
	c.Store("main.walk", sample(), []string{src, filepath.Join(src, "absent")})
	if _, ok := c.Load("main.walk"); !ok {
		t.Fatal("entry with sources not loaded")
	}
	os.WriteFile(filepath.Join(src, "a.go"), []byte("package a\n"), 0o644)
	if _, ok := c.Load("main.walk"); ok {
		t.Error("entry loaded after its source directory changed")
	}
	c.Store("main.walk", sample(), []string{src, filepath.Join(src, "absent")})
	os.MkdirAll(filepath.Join(src, "absent"), 0o755)
	os.WriteFile(filepath.Join(src, "absent", "b.go"), []byte("package b\n"), 0o644)
	if _, ok := c.Load("main.walk"); ok {
		t.Error("entry loaded after a missing source directory appeared")
	}
}

// TestDamaged: truncated, garbled and foreign entry files, and one whose
// types refer outside their table, are misses.
func TestDamaged(t *testing.T) {
	_, bin := fixture(t)
	c := New(bin, t.TempDir())
	c.Store("main.walk", sample(), nil)
	good, err := os.ReadFile(c.Path("main.walk"))
	if err != nil {
		t.Fatal(err)
	}
	garbled := append([]byte(nil), good...)
	for i := len(garbled) / 3; i < len(garbled); i += 7 {
		garbled[i] ^= 0x5a
	}
	for name, data := range map[string][]byte{
		"truncated": good[:len(good)/2], "garbled": garbled, "empty": nil, "foreign": []byte("\x7fELF\x02\x01\x01"),
	} {
		os.WriteFile(c.Path("main.walk"), data, 0o600)
		if _, ok := c.Load("main.walk"); ok {
			t.Errorf("%s entry loaded", name)
		}
	}
	fns := sample()
	recs, types := flatten(fns)
	recs[0].Params[0].Type = int32(len(types) + 1)
	if _, err := unflatten(recs, types); err == nil {
		t.Error("a reference past the type table decoded")
	}
	recs[0].Params[0].Type = -3
	if _, err := unflatten(recs, types); err == nil {
		t.Error("a negative type reference decoded")
	}
}

// TestOff: a binary without build-id, and caching off, keep nothing.
func TestOff(t *testing.T) {
	var c Cache
	c.Store("main.walk", sample(), nil)
	if _, ok := c.Load("main.walk"); ok || c.Path("main.walk") != "" {
		t.Error("the zero cache holds an entry")
	}
}

func copyFile(t *testing.T, from, to string) {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func mtime(t *testing.T, p string) (m time.Time) {
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.ModTime()
}

// TestBinaryFacts: the binary's facts are kept as plans find them, each
// store adding to what was kept (one plan asks the goid offset, another
// the type descriptors too), and are stale like the entries.
func TestBinaryFacts(t *testing.T) {
	_, bin := fixture(t)
	c := New(bin, t.TempDir())
	if b := c.LoadBinary(); b.GoidOK || b.Types != nil {
		t.Fatalf("facts before any store: %+v", b)
	}
	c.StoreBinary(Binary{Goid: 152, GoidOK: true})
	types := &GoTypes{Base: 0x500000, PIE: true, Known: []Known{{"*errors.errorString", 0x512340}}}
	c.StoreBinary(Binary{Types: types})
	// A binary with no word type is an answer too, kept until one is found.
	c.StoreBinary(Binary{Word: &Word{}})
	if got := c.LoadBinary(); got.Word == nil || *got.Word != (Word{}) {
		t.Errorf("no word type: loaded %+v", got.Word)
	}
	word := &Word{Name: "uint64", Module: "/usr/local/bin/x"}
	c.StoreBinary(Binary{Word: word})
	want := Binary{Goid: 152, GoidOK: true, Types: types, Word: word}
	if got := c.LoadBinary(); !reflect.DeepEqual(got, want) {
		t.Errorf("loaded %+v, want %+v", got, want)
	}
	if st, err := os.Stat(c.BinaryPath()); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("facts file: %v", err)
	}
	was := self
	self = func() string { return "a rebuilt stapgen" }
	got := c.LoadBinary()
	self = was
	if got.GoidOK || got.Types != nil {
		t.Error("facts kept by another stapgen loaded")
	}
	os.WriteFile(c.BinaryPath(), []byte("garbage"), 0o600)
	if got := c.LoadBinary(); got.GoidOK {
		t.Error("damaged facts loaded")
	}
	var off Cache
	off.StoreBinary(want)
	if got := off.LoadBinary(); got.GoidOK || off.BinaryPath() != "" {
		t.Error("the zero cache holds facts")
	}
}

// TestStampOnce: a StampOnce cache stamps a source directory once for all
// the entries it loads (the change after its first load is the next
// command's to see), and a plain one sees the change at once.
func TestStampOnce(t *testing.T) {
	_, bin := fixture(t)
	dir, src := t.TempDir(), t.TempDir()
	c := New(bin, dir)
	c.Store("main.walk", sample(), []string{src})
	c.Store("main.other", sample(), []string{src})
	once := c.StampOnce()
	if _, ok := once.Load("main.walk"); !ok {
		t.Fatal("fresh entry not loaded")
	}
	os.WriteFile(filepath.Join(src, "a.go"), []byte("package a\n"), 0o644)
	if _, ok := once.Load("main.other"); !ok {
		t.Error("the same command stamped the directory again")
	}
	if _, ok := c.Load("main.other"); ok {
		t.Error("entry loaded after its source directory changed")
	}
	if _, ok := New(bin, dir).StampOnce().Load("main.other"); ok {
		t.Error("the next command missed the change")
	}
}

// TestStoreBoundsTheCache: a write prunes the binary's entries to the
// most recently used 512 and, when it makes the binary's directory, the
// binaries' directories to 64, leaving what was used in the last day and
// the other caches' files alone; the entry just written loads.
func TestStoreBoundsTheCache(t *testing.T) {
	_, bin := fixture(t)
	root := t.TempDir()
	c := New(bin, root)
	old := time.Now().Add(-48 * time.Hour)
	touch := func(p string, at time.Time) {
		t.Helper()
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(p string, at time.Time) {
		t.Helper()
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		touch(p, at)
	}
	// 70 other binaries, the newest 5 used an hour ago, and another cache's file.
	for i := range 70 {
		d := filepath.Join(root, fmt.Sprintf("%040d.gofn", i))
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		at := old.Add(time.Duration(i) * time.Minute)
		if i >= 65 {
			at = time.Now().Add(-time.Hour)
		}
		touch(d, at)
	}
	mk(filepath.Join(root, "other.idx"), old.Add(-time.Hour))
	c.Store("main.walk", sample(), nil)
	gofn, _ := filepath.Glob(filepath.Join(root, "*.gofn"))
	// The 64 most recently used: this one, the 5 fresh, the 58 newest
	// old ones (7 to 64).
	if len(gofn) != 64 {
		t.Errorf("%d binaries' directories left, want 64", len(gofn))
	}
	for i := range 70 {
		_, err := os.Stat(filepath.Join(root, fmt.Sprintf("%040d.gofn", i)))
		if gone := err != nil; gone != (i < 7) {
			t.Errorf("binary %d: removed %v", i, gone)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "other.idx")); err != nil {
		t.Error("another cache's file removed")
	}

	// 600 old entries of this binary: the next write leaves 512 in all.
	dir := filepath.Dir(c.Path("main.walk"))
	for i := range 600 {
		mk(filepath.Join(dir, fmt.Sprintf("e%03d", i)), old.Add(time.Duration(i)*time.Second))
	}
	c.Store("main.walk2", sample(), nil)
	ents, _ := os.ReadDir(dir)
	if len(ents) != 512 {
		t.Errorf("%d entries left, want 512", len(ents))
	}
	for _, q := range []string{"main.walk", "main.walk2"} {
		if _, ok := c.Load(q); !ok {
			t.Errorf("%s, written in the last day, not loaded after the prune", q)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "e599")); err != nil {
		t.Error("the most recently used old entry removed")
	}
	if _, err := os.Stat(filepath.Join(dir, "e000")); err == nil {
		t.Error("the least recently used entry kept")
	}
}
