package session

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestStapModuleName: a script names a module by name when it is the
// live system's (stap -r R finds it itself), else by the path of the file
// stap can read DWARF from under the module's own name; a debug file
// found by build-id (named after the id) leaves the installed module's
// path, whose debuginfo stap finds by build-id too.
func TestStapModuleName(t *testing.T) {
	pkg := testenv.KernelRoot(t)
	r := testenv.KernelRelease()
	debug := testenv.ModuleDebugFile(t, "drivers/net/macvlan.ko")
	image := testenv.ModuleImageFile(t, "drivers/net/macvlan.ko")

	b, err := target.Open(debug)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := stapModuleNameIn(b, r, pkg); got != "macvlan" {
		t.Errorf("module of the live system: %q, want macvlan", got)
	}
	if got := stapModuleNameIn(b, r, t.TempDir()); got != debug {
		t.Errorf("module elsewhere: %q, want %s", got, debug)
	}

	dir := t.TempDir()
	ib, err := target.OpenWith(image, target.Options{NoSeparate: true})
	if err != nil {
		t.Fatal(err)
	}
	id := ib.BuildID
	ib.Close()
	link := filepath.Join(dir, ".build-id", id[:2], id[2:]+".debug")
	os.MkdirAll(filepath.Dir(link), 0o755)
	if err := os.Symlink(debug, link); err != nil {
		t.Fatal(err)
	}
	byID, err := target.OpenWith(image, target.Options{DebugDirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	defer byID.Close()
	if byID.Debug == nil || byID.Debug.Path != link || byID.Module != "macvlan" {
		t.Fatalf("debug file by build-id: %+v", byID.Debug)
	}
	if got := stapModuleNameIn(byID, r, t.TempDir()); got != image {
		t.Errorf("debug file by build-id: %q, want the installed %s", got, image)
	}
}
