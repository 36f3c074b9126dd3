package doctor

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

func fakeRoot(t *testing.T, config string, files ...string) string {
	root := t.TempDir()
	for _, f := range files {
		p := filepath.Join(root, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	var b bytes.Buffer
	z := gzip.NewWriter(&b)
	z.Write([]byte(config))
	z.Close()
	os.MkdirAll(filepath.Join(root, "proc"), 0o755)
	os.WriteFile(filepath.Join(root, "proc/config.gz"), b.Bytes(), 0o644)
	return root
}

func find(cs []Check, name string) Check {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return Check{}
}

// TestThisKindOfMachine mirrors FIELD-NOTES.md: no modules, no kprobes,
// uprobes and BPF on, no build tree.
func TestThisKindOfMachine(t *testing.T) {
	root := fakeRoot(t, "CONFIG_UPROBES=y\nCONFIG_BPF_SYSCALL=y\n# CONFIG_MODULES is not set\n", "sys/kernel/btf/vmlinux")
	rep := Run(System{Root: root, Release: "6.18.0", EUID: 0, StapVersion: func() (string, error) { return "4.8/0.188", nil }})
	if c := find(rep.Checks, "kernel modules"); c.Status != Fail || c.Fix == "" {
		t.Errorf("modules: %+v", c)
	}
	if c := find(rep.Checks, "kernel build tree"); c.Status != Fail || c.Fix == "" {
		t.Errorf("build tree: %+v", c)
	}
	if c := find(rep.Checks, "debugfs"); c.Status != Warn || c.Fix != "mount -t debugfs none /sys/kernel/debug" {
		t.Errorf("debugfs: %+v", c)
	}
	if c := find(rep.Runtimes, "kernel runtime"); c.Status != Fail {
		t.Errorf("kernel runtime: %+v", c)
	}
	if c := find(rep.Runtimes, "bpf runtime"); c.Status != Fail || c.Detail == "" {
		t.Errorf("bpf runtime: %+v", c)
	}
}

func TestFullMachine(t *testing.T) {
	root := fakeRoot(t, "CONFIG_UPROBES=y\nCONFIG_BPF_SYSCALL=y\nCONFIG_MODULES=y\nCONFIG_KPROBES=y\n",
		"proc/modules", "lib/modules/6.1.0/build/.config", "sys/kernel/debug/tracing/x", "usr/lib/debug/boot/vmlinux-6.1.0")
	rep := Run(System{Root: root, Release: "6.1.0", EUID: 1000, StapVersion: func() (string, error) { return "5.1/0.192", nil }})
	for _, c := range rep.Runtimes {
		if c.Status != OK {
			t.Errorf("%s: %+v", c.Name, c)
		}
	}
	if c := find(rep.Checks, "privileges"); c.Status != Warn {
		t.Errorf("privileges: %+v", c)
	}
	// An empty file where the -dbg package puts vmlinux is no vmlinux.
	if c := find(rep.Checks, "kernel debuginfo"); c.Status != Warn || !strings.Contains(c.Fix, "linux-image-6.1.0-dbg") {
		t.Errorf("debuginfo with an empty vmlinux: %+v", c)
	}
}

// TestKernelDebuginfoFound: an ELF file with DWARF where the -dbg package
// puts vmlinux is found, and named.
func TestKernelDebuginfoFound(t *testing.T) {
	root := fakeRoot(t, "CONFIG_UPROBES=y\n")
	elf, err := os.ReadFile(testenv.CFixture(t, testenv.CO0))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "usr/lib/debug/boot/vmlinux-6.1.0")
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, elf, 0o644); err != nil {
		t.Fatal(err)
	}
	rep := Run(System{Root: root, Release: "6.1.0", StapVersion: func() (string, error) { return "5.1/0.192", nil }})
	if c := find(rep.Checks, "kernel debuginfo"); c.Status != OK || c.Detail != p || c.Fix != "" {
		t.Errorf("debuginfo: %+v, want OK at %s", c, p)
	}
	if c := find(rep.Checks, "module debuginfo"); c.Status != Warn || !strings.Contains(c.Fix, "linux-image-6.1.0-dbg") {
		t.Errorf("module debuginfo without modules: %+v", c)
	}
	mod := filepath.Join(root, "usr/lib/debug/lib/modules/6.1.0/kernel/fs/overlay.ko")
	os.MkdirAll(filepath.Dir(mod), 0o755)
	os.WriteFile(mod, elf, 0o644)
	rep = Run(System{Root: root, Release: "6.1.0", StapVersion: func() (string, error) { return "5.1/0.192", nil }})
	if c := find(rep.Checks, "module debuginfo"); c.Status != OK || !strings.HasPrefix(c.Detail, "1 modules under ") {
		t.Errorf("module debuginfo with one module: %+v", c)
	}
}

func TestNoStap(t *testing.T) {
	root := fakeRoot(t, "CONFIG_UPROBES=y\n")
	rep := Run(System{Root: root, Release: "x", StapVersion: func() (string, error) { return "", errors.New("stap: not found") }})
	if c := find(rep.Checks, "stap"); c.Status != Fail || c.Fix == "" {
		t.Errorf("stap: %+v", c)
	}
	for _, c := range rep.Runtimes {
		if c.Status != Fail {
			t.Errorf("%s should fail without stap", c.Name)
		}
	}
}
