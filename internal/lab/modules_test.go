package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// TestModulesLoadInVM: the guest loads the modules STAPVM_MODULES names, after
// what they depend on, and a module("overlay") probe sees the names the
// guest looks up in an overlay it mounts. macvtap needs macvlan and tap
// (modules.dep): /proc/modules in the guest must list all three.
func TestModulesLoadInVM(t *testing.T) {
	need(t, VMModule)
	names := []string{"alpha", "beta", "gamma"}
	// Lower and upper on a tmpfs: overlay's upper layer needs xattrs.
	cmd := `/bin/sh -c 'mkdir /ovl && mount -t tmpfs t /ovl && cd /ovl && mkdir l u w m &&
echo x >l/alpha && mount -t overlay o -o lowerdir=/ovl/l,upperdir=/ovl/u,workdir=/ovl/w /ovl/m &&
cat /ovl/m/alpha >/dev/null; ls /ovl/m/beta 2>/dev/null; stat /ovl/m/gamma >/dev/null 2>&1;
cut -d" " -f1 /proc/modules'`
	res, err := Run(context.Background(), Job{Runtime: VMModule, Stap: sourceStapVM(), Cmd: cmd,
		Env: []string{"STAPVM_MODULES=overlay macvtap"},
		Script: `probe module("overlay").function("ovl_lookup") {
	if (execname() != "stapio") printf("%s\n", kernel_string_n($dentry->d_name->name, $dentry->d_name->len))
}`})
	if err != nil {
		t.Fatalf("%v\nguest:\n%s", err, res.Stdout)
	}
	if got := res.Lines(); !slices.Equal(got, names) {
		t.Errorf("ovl_lookup names = %q, want what the guest looked up: %q", got, names)
	}
	loaded := strings.Fields(string(res.Stdout))
	for _, m := range []string{"overlay", "macvtap", "macvlan", "tap"} {
		if !slices.Contains(loaded, m) {
			t.Errorf("guest's /proc/modules lacks %s: %q", m, loaded)
		}
	}
}

// TestUnknownModuleInVM: a module the lab kernel does not have is refused
// before the VM boots, naming it.
func TestUnknownModuleInVM(t *testing.T) {
	need(t, VMModule)
	_, err := Run(context.Background(), Job{Runtime: VMModule, Stap: sourceStapVM(),
		Env:    []string{"STAPVM_MODULES=no_such_module_stapgen"},
		Script: `probe begin { exit() }`})
	if err == nil || !strings.Contains(err.Error(), "no module no_such_module_stapgen") {
		t.Fatalf("err = %v", err)
	}
}

// TestProgramUnderTmpInVM: a program kept under /tmp runs in the guest and
// is probed there (the guest once mounted a tmpfs over /tmp, which hid it:
// "Couldn't resolve target program file path '/tmp/...': -2"). The calls
// traced are the ones the program says it made.
func TestProgramUnderTmpInVM(t *testing.T) {
	need(t, VMModule)
	dir, err := os.MkdirTemp("/tmp", "stapgen-lab-tmp-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "prog")
	b, err := os.ReadFile(testenv.GoFixture(t, testenv.GoDefault))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Job{Runtime: VMModule, Stap: sourceStapVM(), Cmd: bin,
		Script: fmt.Sprintf(`probe process(%q).function("main.Str").call { printf("%%d\n", u_register("rbx")) }`, bin)})
	if err != nil {
		t.Fatalf("%v\nguest:\n%s", err, res.Stdout)
	}
	// An entry probe may fire twice for one call (the stack check's
	// morestack runs the function again), so every call the program made
	// must be there, in order, each length once at least.
	got := res.Lines()
	want := programStrs(t, res.Stdout)
	i := 0
	for _, g := range got {
		if i < len(want) && g == fmt.Sprint(len(want[i].s)) {
			i++
		}
	}
	if i != len(want) || len(got) < len(want) {
		t.Errorf("traced lengths %q do not cover the program's %d calls (%d matched)", got, len(want), i)
	}
}

// TestTrixieFindsModulesByName: stap 5.1 for the lab kernel finds a module
// by name (module("overlay"): the chroot's /lib/modules/R and
// /usr/lib/debug/lib/modules/R that lab/kernel.sh links) and lists the same
// function, file:line and types as for the -dbg package's file named by
// path, which needs no such wiring.
func TestTrixieFindsModulesByName(t *testing.T) {
	need(t, Trixie)
	stap, _ := Stap(Trixie)
	debug := testenv.ModuleDebugFile(t, "fs/overlayfs/overlay.ko")
	list := func(mod string) string {
		out, err := exec.Command(stap, "-r", Release(), "-L", fmt.Sprintf("module(%q).function(\"ovl_lookup\")", mod)).CombinedOutput()
		if err != nil {
			t.Fatalf("stap -L module(%q): %v\n%s", mod, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	byName, byPath := list("overlay"), list(debug)
	_, rest, _ := strings.Cut(byPath, ".function(")
	if !strings.HasPrefix(byName, `module("overlay").function("ovl_lookup@fs/overlayfs/namei.c:`) || byName != `module("overlay").function(`+rest {
		t.Errorf("by name: %s\nby path: %s", byName, byPath)
	}
}
