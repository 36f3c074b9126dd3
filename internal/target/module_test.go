package target

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
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
// /lib/modules/R, the full one under /usr/lib/debug/lib/modules/R, and
// another module only compressed.
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
}
