package target

import (
	"encoding/gob"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// fakeModule is enough of a kernel module for discovery: ET_REL with a
// .modinfo naming it (modpost's "name=" entry).
const fakeModule = `
__attribute__((section(".modinfo"), used)) static const char modname[] = "name=fake_mod";
int fake_fn(int a) { return a * 3; }
`

// moduleTree lays out a system root as Debian installs a kernel's modules
// and its -dbg package: the installed module without DWARF under
// /lib/modules/R, the full one under /usr/lib/debug/lib/modules/R,
// another module only compressed, and one as Fedora names debug files.
func moduleTree(t *testing.T) (root, image, debug string) {
	gcc := testenv.NeedTool(t, "gcc")
	objcopy := testenv.NeedTool(t, "objcopy")
	root = t.TempDir()
	src := filepath.Join(root, "m.c")
	os.WriteFile(src, []byte(fakeModule), 0o644)
	debug = filepath.Join(root, "usr/lib/debug/lib/modules/9.9-test/kernel/drivers/fake-mod.ko")
	image = filepath.Join(root, "lib/modules/9.9-test/kernel/drivers/fake-mod.ko")
	for _, p := range []string{debug, image} {
		os.MkdirAll(filepath.Dir(p), 0o755)
	}
	if out, err := exec.Command(gcc, "-g", "-c", "-o", debug, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	if out, err := exec.Command(objcopy, "--strip-debug", debug, image).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, out)
	}
	os.WriteFile(filepath.Join(root, "lib/modules/9.9-test/kernel/drivers/packed.ko.xz"), []byte("\xfd7zXZ"), 0o644)
	fedora := filepath.Join(root, "usr/lib/debug/lib/modules/9.9-test/kernel/fs/other.ko.debug")
	os.MkdirAll(filepath.Dir(fedora), 0o755)
	if data, err := os.ReadFile(debug); err != nil || os.WriteFile(fedora, data, 0o644) != nil {
		t.Fatal(err)
	}
	return root, image, debug
}

func TestFindModule(t *testing.T) {
	root, image, debug := moduleTree(t)
	for _, tc := range []struct {
		target string
		want   string
		err    error
	}{
		{"module:fake_mod", debug, nil},
		{"module:fake-mod", debug, nil}, // the kernel treats - and _ alike
		{"module:packed", "", ErrCompressedModule},
		{"module:absent", "", ErrModuleNotFound},
	} {
		got, err := Resolve(tc.target, "9.9-test", root, nil)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("Resolve(%s) = %q, %v; want %q, %v", tc.target, got, err, tc.want, tc.err)
		}
	}
	// The installed module has no DWARF: its debug file is found at the
	// same path under the debug dir, and the name comes from .modinfo.
	b, err := OpenWith(image, Options{DebugDirs: []string{filepath.Join(root, "usr/lib/debug")}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Kind != KindKernel || b.Module != "fake_mod" || b.hasOwnDWARF() || b.Debug == nil || b.Debug.Path != debug {
		t.Fatalf("kind %v module %q debug %+v", b.Kind, b.Module, b.Debug)
	}
	// Fedora names its debug files NAME.ko.debug.
	fedora := filepath.Join(root, "usr/lib/debug/lib/modules/9.9-test/kernel/fs/other.ko.debug")
	if got, err := Resolve("module:other", "9.9-test", root, nil); got != fedora || err != nil {
		t.Errorf("module:other = %q, %v; want %s", got, err, fedora)
	}
	if c := LoadModuleCatalog(ModuleDirs("9.9-test", root, nil), "", nil); len(c.Modules) != 2 {
		t.Errorf("catalog of the tree: %+v", c.Modules)
	}
	if _, err := OpenWith(filepath.Join(root, "lib/modules/9.9-test/kernel/drivers/packed.ko.xz"), Options{}); !errors.Is(err, ErrCompressedModule) {
		t.Errorf("compressed module: %v", err)
	}
}

// TestLabModules: every module of the lab kernel's -dbg package is found
// by name and opens as a module with DWARF.
func TestLabModules(t *testing.T) {
	root := testenv.KernelRoot(t)
	r := testenv.KernelRelease()
	files := ModuleFiles(filepath.Join(root, "usr/lib/debug/lib/modules", r))
	if len(files) < 1000 {
		t.Fatalf("%d modules in the lab's -dbg tree", len(files))
	}
	for _, name := range []string{"overlay", "macvlan", "nf_tables", "xfs"} {
		p, err := Resolve(ModulePrefix+name, r, root, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if b.Module != name || !b.HasDWARF() || !b.Relocatable() {
			t.Errorf("%s: module %q dwarf %v", p, b.Module, b.HasDWARF())
		}
		b.Close()
	}
	// An installed module copied elsewhere finds its debug file through
	// the release its vermagic names.
	data, err := os.ReadFile(testenv.ModuleImageFile(t, "drivers/net/macvlan.ko"))
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "macvlan.ko")
	os.WriteFile(cp, data, 0o644)
	b, err := OpenWith(cp, Options{DebugDirs: []string{filepath.Join(root, "usr/lib/debug")}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.ModuleRelease() != r || b.Debug == nil || b.Debug.Path != testenv.ModuleDebugFile(t, "drivers/net/macvlan.ko") {
		t.Errorf("copied module: release %q, debug file %+v", b.ModuleRelease(), b.Debug)
	}
}

// TestModuleCatalog: the catalog names the module defining a function
// (the debug tree's file first), is reused from its cache, and notices a
// module that changed since.
func TestModuleCatalog(t *testing.T) {
	root, _, debug := moduleTree(t)
	dirs := ModuleDirs("9.9-test", root, nil)
	cache := filepath.Join(t.TempDir(), "c.cat")
	c := LoadModuleCatalog(dirs, cache, nil)
	ms := c.Defining("fake_fn") // fake_mod, and its copy "other"
	if len(ms) != 2 || ms[0].Name != "fake_mod" || ms[0].Path != debug || ms[1].Name != "other" {
		t.Fatalf("Defining(fake_fn) = %+v", ms)
	}
	if len(c.Defining("absent_fn")) != 0 {
		t.Error("a function no module has is found")
	}
	if _, err := os.Stat(cache); err != nil {
		t.Fatalf("catalog not saved: %v", err)
	}
	// Rebuild the debug module with another function: its size and
	// mtime change, so the cached entry is not used.
	src := filepath.Join(root, "m2.c")
	os.WriteFile(src, []byte(strings.ReplaceAll(fakeModule, "fake_fn", "renamed_fn_with_a_longer_name")), 0o644)
	if out, err := exec.Command("gcc", "-g", "-c", "-o", debug, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	c = LoadModuleCatalog(dirs, cache, nil)
	if len(c.Defining("fake_fn")) != 1 || len(c.Defining("renamed_fn_with_a_longer_name")) != 1 {
		t.Errorf("stale catalog: %+v", c.Modules)
	}
	hits := c.Matching(func(n string) bool { return strings.HasPrefix(n, "renamed_") })
	if len(hits) != 1 {
		t.Errorf("Matching: %v", hits)
	}
}

// FuzzReadCatalog: a truncated or corrupt catalog cache is ignored (read
// as absent), never a panic.
func FuzzReadCatalog(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "good.cat")
	atomicWriteCatalog(f, good, []CatalogModule{{Name: "m", Path: "/x/m.ko", Size: 10, MTime: 20, Funcs: []string{"a", "b"}}})
	data, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "c.cat")
		os.WriteFile(p, b, 0o644)
		for path, m := range readCatalog(p) {
			if path != m.Path {
				t.Fatalf("entry %q keyed %q", m.Path, path)
			}
		}
	})
}

func atomicWriteCatalog(t testing.TB, p string, ms []CatalogModule) {
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := gob.NewEncoder(f).Encode(&catalogFile{Version: catalogVersion, Modules: ms}); err != nil {
		t.Fatal(err)
	}
}
