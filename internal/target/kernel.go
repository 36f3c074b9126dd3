package target

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KernelTarget is the target string meaning "the running kernel".
const KernelTarget = "kernel"

// ErrKernelNotFound is matched by the error of FindKernel when no vmlinux
// with DWARF exists for the release.
var ErrKernelNotFound = errors.New("no vmlinux with debug info found")

// kernelCandidates are where distributions put an uncompressed vmlinux
// with DWARF, most specific first (Debian/Ubuntu -dbg, Fedora debuginfo,
// self-built kernels).
func kernelCandidates(release string) []string {
	return []string{
		"/usr/lib/debug/boot/vmlinux-" + release,
		"/usr/lib/debug/lib/modules/" + release + "/vmlinux",
		"/usr/lib/debug/boot/vmlinux-" + release + ".debug",
		"/usr/lib/debug/lib/modules/" + release + "/vmlinux.debug",
		"/boot/vmlinux-" + release,
		"/boot/vmlinux-" + release + ".debug",
		"/lib/modules/" + release + "/vmlinux",
		"/lib/modules/" + release + "/vmlinux-" + release,
		"/lib/modules/" + release + "/build/vmlinux",
		"/usr/lib/modules/" + release + "/vmlinux",
		"/usr/lib/modules/" + release + "/build/vmlinux",
	}
}

// FindKernel returns the path of the vmlinux for release, searching under
// root ("" or "/" for the live system; a temp dir in tests). A candidate
// counts only when it is an ELF file with .debug_info, so a stripped
// /boot/vmlinux does not hide the -dbg one.
func FindKernel(release, root string) (string, error) {
	if release == "" || strings.ContainsAny(release, "/\x00") {
		return "", fmt.Errorf("kernel release %q: invalid", release)
	}
	var seen []string
	for _, c := range kernelCandidates(release) {
		p := filepath.Join(root, c)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		seen = append(seen, p)
		b, err := OpenWith(p, Options{NoSeparate: true})
		if err != nil {
			continue
		}
		ok := b.hasOwnDWARF()
		b.Close()
		if ok {
			return p, nil
		}
	}
	hint := "install linux-image-" + release + "-dbg (Debian), linux-image-" + release + "-dbgsym (Ubuntu) or run `debuginfo-install kernel-" + release + "` (Fedora)"
	if len(seen) > 0 {
		hint = "found without DWARF: " + strings.Join(seen, ", ") + "; " + hint
	}
	return "", fmt.Errorf("kernel %s: %w (%s)", release, ErrKernelNotFound, hint)
}

// Resolve turns a user's target string into a file path: "kernel" means
// the vmlinux of the given release, "module:NAME" that kernel's module
// NAME (its debug file when debugDirs or root's /usr/lib/debug has one),
// anything else is a path. root is the system root, "" for the live one.
func Resolve(target, release, root string, debugDirs []string) (string, error) {
	if target == KernelTarget {
		return FindKernel(release, root)
	}
	if name, ok := strings.CutPrefix(target, ModulePrefix); ok {
		if name == "" {
			return "", fmt.Errorf("target %q names no module (module:NAME, e.g. module:overlay)", target)
		}
		return FindModule(name, release, root, debugDirs)
	}
	return target, nil
}
