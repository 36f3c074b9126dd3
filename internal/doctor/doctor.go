package doctor

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/stapgen/stapgen/internal/target"
)

// Status of one check.
type Status string

const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "missing"
)

// Check is one fact about the machine.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	// Fix says what to install or run; empty when Status is OK.
	Fix string `json:"fix,omitempty"`
}

// Report is the result of Run.
type Report struct {
	Release string  `json:"kernel_release"`
	Checks  []Check `json:"checks"`
	// Runtimes says which stap runtimes can run here, with the reason.
	Runtimes []Check `json:"runtimes"`
}

// System is what the checks read; tests substitute a fake root.
type System struct {
	// Root prefixes every absolute path read ("" for the real system).
	Root    string
	Release string
	// StapVersion returns stap's version line, or an error when stap cannot
	// be run.
	StapVersion func() (string, error)
	// EUID of the process.
	EUID int
}

func (s System) path(p string) string { return filepath.Join(s.Root, p) }

func (s System) exists(p string) bool {
	_, err := os.Stat(s.path(p))
	return err == nil
}

// kernelConfig reads /proc/config.gz or /boot/config-RELEASE into a map.
func (s System) kernelConfig() map[string]string {
	var r io.Reader
	if b, err := os.ReadFile(s.path("/proc/config.gz")); err == nil {
		if z, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			r = io.LimitReader(z, 16<<20)
		}
	}
	if r == nil {
		b, err := os.ReadFile(s.path("/boot/config-" + s.Release))
		if err != nil {
			return nil
		}
		r = bytes.NewReader(b)
	}
	cfg := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && strings.HasPrefix(k, "CONFIG_") {
			cfg[k] = v
		}
	}
	return cfg
}

// Run performs every check.
func Run(s System) Report {
	rep := Report{Release: s.Release}
	add := func(c Check) Check { rep.Checks = append(rep.Checks, c); return c }
	r := s.Release

	stap := Check{Name: "stap", Status: OK}
	if s.StapVersion == nil {
		stap.Status, stap.Detail = Fail, "not checked"
	} else if v, err := s.StapVersion(); err != nil {
		stap.Status, stap.Detail = Fail, err.Error()
		stap.Fix = "apt-get install systemtap (Debian/Ubuntu) or dnf install systemtap (Fedora/RHEL)"
	} else {
		stap.Detail = v
	}
	stap = add(stap)

	cfg := s.kernelConfig()
	on := func(k string) (bool, bool) {
		if cfg == nil {
			return false, false
		}
		v := cfg[k]
		return v == "y" || v == "m", true
	}
	feature := func(name, key, why, fix string) Check {
		c := Check{Name: name, Status: OK, Detail: key + "=y"}
		if y, known := on(key); !known {
			c.Status, c.Detail = Warn, "kernel config not readable (/proc/config.gz, /boot/config-"+r+")"
		} else if !y {
			c.Status, c.Detail, c.Fix = Fail, key+" is off: "+why, fix
		}
		return add(c)
	}
	mods := feature("kernel modules", "CONFIG_MODULES", "the kernel runtime (stap's default) loads a module", "use --runtime=bpf, or a kernel built with modules")
	if mods.Status == OK && !s.exists("/proc/modules") {
		mods.Status, mods.Detail = Fail, "/proc/modules missing"
		rep.Checks[len(rep.Checks)-1] = mods
	}
	kprobes := feature("kprobes", "CONFIG_KPROBES", "kernel.function probes cannot fire", "kernel function probes need a kernel with kprobes; user-space probes still work")
	uprobes := feature("uprobes", "CONFIG_UPROBES", "process().function probes cannot fire", "user-space probes need a kernel with CONFIG_UPROBES")
	bpf := feature("bpf", "CONFIG_BPF_SYSCALL", "--runtime=bpf cannot load programs", "use the kernel runtime")

	bt := Check{Name: "kernel build tree", Status: OK, Detail: "/lib/modules/" + r + "/build"}
	if !s.exists("/lib/modules/" + r + "/build/.config") {
		bt.Status = Fail
		bt.Detail = "/lib/modules/" + r + "/build is missing: every stap pass checks it"
		bt.Fix = "apt-get install linux-headers-" + r + " (Debian/Ubuntu) or dnf install kernel-devel-" + r + " (Fedora/RHEL); or pass -r DIR with a build tree"
	}
	bt = add(bt)

	dbg := Check{Name: "kernel debuginfo", Status: OK}
	if p, err := target.FindKernel(r, s.Root); err != nil {
		dbg.Status, dbg.Detail = Warn, "no vmlinux with DWARF for "+r+": kernel probes with $variables cannot resolve"
		dbg.Fix = "apt-get install linux-image-" + r + "-dbg (Debian), linux-image-" + r + "-dbgsym (Ubuntu), debuginfo-install kernel-" + r + " (Fedora/RHEL)"
	} else {
		dbg.Detail = p
	}
	add(dbg)

	// Module functions (module:NAME, and kernel's) need the modules' own
	// DWARF, which the -dbg package installs beside vmlinux's.
	mdir := filepath.Join(s.path("/usr/lib/debug/lib/modules"), r)
	mdbg := Check{Name: "module debuginfo", Status: OK}
	if n := len(target.ModuleFiles(mdir)); n > 0 {
		mdbg.Detail = fmt.Sprintf("%d modules under %s", n, mdir)
	} else {
		mdbg.Status, mdbg.Detail = Warn, "no module debug files for "+r+" under "+mdir+": module functions cannot be shown or probed with $variables"
		mdbg.Fix = "apt-get install linux-image-" + r + "-dbg (Debian), linux-image-" + r + "-dbgsym (Ubuntu), debuginfo-install kernel-" + r + " (Fedora/RHEL)"
	}
	add(mdbg)

	dfs := Check{Name: "debugfs", Status: OK, Detail: "/sys/kernel/debug/tracing"}
	if !s.exists("/sys/kernel/debug/tracing") {
		dfs.Status, dfs.Detail, dfs.Fix = Warn, "/sys/kernel/debug is not mounted: the BPF runtime writes uprobe_events there", "mount -t debugfs none /sys/kernel/debug"
	}
	add(dfs)

	btf := Check{Name: "BTF", Status: OK, Detail: "/sys/kernel/btf/vmlinux"}
	if !s.exists("/sys/kernel/btf/vmlinux") {
		btf.Status, btf.Detail = Warn, "no /sys/kernel/btf/vmlinux (only matters for BTF-based tools)"
	}
	add(btf)

	priv := Check{Name: "privileges", Status: OK, Detail: "root"}
	if s.EUID != 0 {
		priv.Status, priv.Detail, priv.Fix = Warn, fmt.Sprintf("euid %d: stap needs root, or membership of stapusr/stapdev", s.EUID), "run as root, or add the user to the stapusr and stapdev groups"
	}
	add(priv)

	// Which runtimes can work, from the checks above.
	kernelRT := Check{Name: "kernel runtime", Status: OK, Detail: "modules load; user and kernel probes"}
	switch {
	case stap.Status != OK:
		kernelRT.Status, kernelRT.Detail = Fail, "stap is not runnable"
	case mods.Status == Fail:
		kernelRT.Status, kernelRT.Detail = Fail, "this kernel cannot load modules"
	case bt.Status == Fail:
		kernelRT.Status, kernelRT.Detail = Fail, "no kernel build tree"
	case kprobes.Status == Fail:
		kernelRT.Status, kernelRT.Detail = Warn, "user-space probes only (no kprobes)"
	}
	bpfRT := Check{Name: "bpf runtime", Status: OK, Detail: "user-space probes via uprobes"}
	switch {
	case stap.Status != OK:
		bpfRT.Status, bpfRT.Detail = Fail, "stap is not runnable"
	case bpf.Status == Fail || uprobes.Status == Fail:
		bpfRT.Status, bpfRT.Detail = Fail, "needs CONFIG_BPF_SYSCALL and CONFIG_UPROBES"
	case bt.Status == Fail:
		bpfRT.Status, bpfRT.Detail = Fail, "stap checks a kernel build tree even for BPF: pass -r DIR with a minimal tree"
	}
	rep.Runtimes = []Check{kernelRT, bpfRT}
	return rep
}
