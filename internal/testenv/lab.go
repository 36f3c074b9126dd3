package testenv

import (
	"os"
	"os/exec"
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

// Stap51OnHostBPF returns a stap executable that runs the lab's stap 5.1
// (bin/stap51, its trixie chroot) on the host's BPF runtime, as
// bin/stap-host runs the host's 4.8: with the host build tree and the
// memlock interposer. The chroot sees /tmp, not the lab directory, so
// both are copied into the test's temporary directory.
func Stap51OnHostBPF(t testing.TB) string {
	t.Helper()
	build := HostBuildTree(t)
	stap51 := filepath.Join(LabDir(), "bin", "stap51")
	memlock := filepath.Join(LabDir(), "host", "memlock.so")
	_, err1 := os.Stat(stap51)
	_, err2 := os.Stat(memlock)
	Need(t, err1 == nil && err2 == nil, "lab stap51 or memlock.so missing (run `make lab`)")
	dir := t.TempDir()
	Need(t, strings.HasPrefix(dir, "/tmp/") || strings.HasPrefix(dir, "/var/tmp/"), "the stap 5.1 chroot sees /tmp and /var/tmp only, not TMPDIR %s", dir)
	if out, err := exec.Command("cp", "-a", build, filepath.Join(dir, "build")).CombinedOutput(); err != nil {
		t.Fatalf("copying the build tree: %v\n%s", err, out)
	}
	if out, err := exec.Command("cp", memlock, filepath.Join(dir, "memlock.so")).CombinedOutput(); err != nil {
		t.Fatalf("copying memlock.so: %v\n%s", err, out)
	}
	script := "#!/bin/sh\nmountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug\n" +
		"LD_PRELOAD=" + filepath.Join(dir, "memlock.so") + " exec " + stap51 + " -r " + filepath.Join(dir, "build") + " \"$@\"\n"
	p := filepath.Join(dir, "stap")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
