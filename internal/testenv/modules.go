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
