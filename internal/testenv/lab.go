package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// LabDir is the lab's cache root (built by lab/setup.sh). STAPGEN_LAB
// overrides the default /var/cache/stapgen-lab.
func LabDir() string {
	if d := os.Getenv("STAPGEN_LAB"); d != "" {
		return d
	}
	return "/var/cache/stapgen-lab"
}

// KernelRelease is the release of the lab's Debian cloud kernel
// (kernel/release in the lab), or "" when the lab has none.
func KernelRelease() string {
	b, err := os.ReadFile(filepath.Join(LabDir(), "kernel", "release"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Vmlinux returns the lab kernel's vmlinux with DWARF, skipping (or failing
// under CI) when the lab has not fetched it.
func Vmlinux(t testing.TB) string {
	t.Helper()
	Long(t, "reads the lab kernel's vmlinux")
	r := KernelRelease()
	p := filepath.Join(LabDir(), "kernel", r, "vmlinux")
	_, err := os.Stat(p)
	Need(t, r != "" && err == nil, "lab kernel vmlinux missing at %s (run `make lab`)", p)
	return p
}

// HostBuildTree returns the lab's private minimal kernel build tree for the
// host kernel, which stap needs even for user-space probes (FIELD-NOTES.md).
func HostBuildTree(t testing.TB) string {
	t.Helper()
	Long(t, "runs stap with the lab's host build tree")
	p := filepath.Join(LabDir(), "host", "build")
	_, err := os.Stat(filepath.Join(p, ".config"))
	Need(t, err == nil, "host build tree missing at %s (run `make lab`)", p)
	return p
}
