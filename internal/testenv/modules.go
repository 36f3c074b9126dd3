package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// KernelRoot is the lab kernel's package tree ($LAB/kernel/R/root: the
// image's /lib/modules/R and the -dbg package's /usr/lib/debug), which
// stapgen reads with --root; it skips (fails under CI) when absent.
func KernelRoot(t testing.TB) string {
	t.Helper()
	Long(t, "reads the lab kernel's modules")
	r := KernelRelease()
	p := filepath.Join(LabDir(), "kernel", r, "root")
	_, err := os.Stat(filepath.Join(p, "usr", "lib", "debug", "lib", "modules", r, "kernel"))
	Need(t, r != "" && err == nil, "lab kernel module tree missing at %s (run `make lab`)", p)
	return p
}

// ModuleDebugFile is the -dbg package's file of a lab kernel module, by its
// path under kernel/ ("drivers/net/macvlan.ko").
func ModuleDebugFile(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(KernelRoot(t), "usr", "lib", "debug", "lib", "modules", KernelRelease(), "kernel", rel)
	_, err := os.Stat(p)
	Need(t, err == nil, "lab module debug file missing: %s", p)
	return p
}

// ModuleImageFile is the image package's (stripped) file of a lab kernel
// module, by its path under kernel/.
func ModuleImageFile(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(KernelRoot(t), "lib", "modules", KernelRelease(), "kernel", rel)
	_, err := os.Stat(p)
	Need(t, err == nil, "lab module missing: %s", p)
	return p
}

// SystemRoot assembles a system root (for --root) from the lab's pieces
// as a Debian system with linux-image-R and linux-image-R-dbg has them:
// the debug vmlinux under /usr/lib/debug/boot, /lib/modules/R, and the
// -dbg package's /usr/lib/debug/lib/modules/R, all symlinks. Its path is
// fixed (under FixtureRoot), so the module catalog cached for it (keyed
// by its directories) is reused from run to run.
func SystemRoot(t testing.TB) string {
	t.Helper()
	pkg := KernelRoot(t)
	vm := Vmlinux(t)
	r := KernelRelease()
	root := filepath.Join(FixtureRoot(), "sysroot-"+r)
	for link, to := range map[string]string{
		"usr/lib/debug/boot/vmlinux-" + r: vm,
		"usr/lib/debug/lib/modules/" + r:  filepath.Join(pkg, "usr/lib/debug/lib/modules", r),
		"lib/modules/" + r:                filepath.Join(pkg, "lib/modules", r),
	} {
		p := filepath.Join(root, link)
		if cur, err := os.Readlink(p); err == nil && cur == to {
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.Remove(p)
		// Concurrent test processes may race to make the same link.
		if err := os.Symlink(to, p); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
	}
	return root
}
