package target

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// ModulePrefix starts a target naming a kernel module: "module:overlay".
const ModulePrefix = "module:"

// ErrModuleNotFound is matched by FindModule's error when no file of the
// module exists for the release.
var ErrModuleNotFound = errors.New("kernel module not found")

// ErrCompressedModule is matched when the only file of a module is
// compressed (.ko.xz, .ko.zst, .ko.gz), which stapgen does not inflate.
var ErrCompressedModule = errors.New("kernel module is compressed")

// compressedExts are the suffixes kmod accepts after .ko.
var compressedExts = []string{".xz", ".zst", ".gz"}

// ModuleName is a module's name as the kernel and stap spell it: the file
// name without .ko (and a compression suffix), dashes as underscores
// (the kernel's rule for module names).
func ModuleName(path string) string {
	base := filepath.Base(path)
	for _, ext := range compressedExts {
		base = strings.TrimSuffix(base, ext)
	}
	base = strings.TrimSuffix(base, ".debug")
	return strings.ReplaceAll(strings.TrimSuffix(base, ".ko"), "-", "_")
}

// isModule tells a kernel module from other relocatable files: modpost
// gives every module a .modinfo and the struct module of
// .gnu.linkonce.this_module.
func (b *Binary) isModule() bool {
	return b.elf.Type == elf.ET_REL && (b.elf.Section(".gnu.linkonce.this_module") != nil || b.elf.Section(".modinfo") != nil)
}

// modinfo returns the value of key in .modinfo, "" when absent.
func (b *Binary) modinfo(key string) string {
	if s := b.elf.Section(".modinfo"); s != nil && s.Type != elf.SHT_NOBITS && s.Flags&elf.SHF_COMPRESSED == 0 {
		for _, kv := range bytes.Split(b.data[s.Offset:s.Offset+s.FileSize], []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, []byte(key+"=")); ok && len(v) > 0 {
				return string(v)
			}
		}
	}
	return ""
}

// moduleName reads "name=" from .modinfo (modpost writes it since 5.x),
// else takes the file name.
func (b *Binary) moduleName() string {
	if n := b.modinfo("name"); n != "" {
		return n
	}
	return ModuleName(b.Path)
}

// ModuleRelease is the kernel release a module was built for, from its
// vermagic ("6.1.0-57-cloud-amd64 SMP preempt ..."); "" when unknown.
func (b *Binary) ModuleRelease() string {
	r, _, _ := strings.Cut(b.modinfo("vermagic"), " ")
	if strings.ContainsAny(r, "/\x00") {
		return ""
	}
	return r
}

// ModuleDirs are where the files of release's modules are, under root ("" for
// the live system): the separate debuginfo trees first (Debian's -dbg
// installs full modules there), then /lib/modules/R itself.
func ModuleDirs(release, root string, debugDirs []string) []string {
	if debugDirs == nil {
		debugDirs = []string{filepath.Join(rootOr(root), "usr/lib/debug")}
	}
	var out []string
	for _, d := range debugDirs {
		out = append(out, filepath.Join(d, "lib/modules", release))
	}
	return append(out, filepath.Join(rootOr(root), "lib/modules", release), filepath.Join(rootOr(root), "usr/lib/modules", release))
}

func rootOr(root string) string {
	if root == "" {
		return "/"
	}
	return root
}

// FindModule returns the file of module name for release: one with DWARF
// when a debuginfo tree has it, else the installed module (whose
// debuginfo OpenWith then looks for by build-id and path).
func FindModule(name, release, root string, debugDirs []string) (string, error) {
	if release == "" || strings.ContainsAny(release, "/\x00") {
		return "", fmt.Errorf("kernel release %q: invalid", release)
	}
	want := ModuleName(name + ".ko")
	var compressed string
	for _, dir := range ModuleDirs(release, root, debugDirs) {
		for _, p := range moduleFiles(dir)[want] {
			if strings.HasSuffix(p, ".ko") || strings.HasSuffix(p, ".ko.debug") {
				return p, nil
			}
			if compressed == "" {
				compressed = p
			}
		}
	}
	if compressed != "" {
		return "", fmt.Errorf("module %s: %s: %w (decompress it, e.g. unxz or unzstd, and give the .ko path, or install the kernel's -dbg package)", name, compressed, ErrCompressedModule)
	}
	return "", fmt.Errorf("module %s for kernel %s: %w under %s (install linux-image-%s-dbg on Debian, or give the .ko path)",
		name, release, ErrModuleNotFound, strings.Join(ModuleDirs(release, root, debugDirs), ", "), release)
}

// ModuleFiles lists every module file under dir by module name (several
// when a tree holds more than one copy, in path order). A walk of
// Debian's 1,121 modules takes a few milliseconds: it is not cached, so
// a long-lived caller sees modules installed since.
func ModuleFiles(dir string) map[string][]string { return moduleFiles(dir) }

func moduleFiles(dir string) map[string][]string {
	m := map[string][]string{}
	// WalkDir does not follow a symlinked root (a tree assembled from
	// links, /lib/modules/R pointing into an unpacked package).
	root := dir
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		root = r
	}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable parts are skipped, as modprobe does
		}
		// build/ and source/ point at kernel trees, not modules.
		if d.IsDir() && p != root && (d.Name() == "build" || d.Name() == "source") {
			return filepath.SkipDir
		}
		if d.IsDir() || !isModuleFile(d.Name()) {
			return nil
		}
		n := ModuleName(d.Name())
		m[n] = append(m[n], p)
		return nil
	})
	for _, ps := range m {
		sort.Strings(ps)
	}
	return m
}

func isModuleFile(name string) bool {
	if strings.HasSuffix(name, ".ko") || strings.HasSuffix(name, ".ko.debug") {
		return true
	}
	for _, ext := range compressedExts {
		if strings.HasSuffix(name, ".ko"+ext) {
			return true
		}
	}
	return false
}

// compressedModule refuses a .ko.xz / .ko.zst / .ko.gz with the reason:
// it is not ELF until inflated.
func compressedModule(path string) error {
	for _, ext := range compressedExts {
		if strings.HasSuffix(path, ".ko"+ext) {
			return fmt.Errorf("%s: %w (decompress it, e.g. unxz or unzstd, and give the .ko path, or install the kernel's -dbg package)", path, ErrCompressedModule)
		}
	}
	return nil
}

// moduleDebugPaths are the -dbg package's places for an installed
// module: the same path under each debug dir (Debian:
// /usr/lib/debug/lib/modules/R/kernel/...), and with .debug appended
// (Fedora).
func moduleDebugPaths(path string, dirs []string) []string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil
	}
	slash := filepath.ToSlash(abs)
	i := strings.Index(slash, "/lib/modules/")
	if i < 0 {
		return nil
	}
	rest := slash[i+1:] // lib/modules/R/kernel/...
	var out []string
	for _, d := range dirs {
		p := filepath.Join(d, rest)
		if p != abs {
			out = append(out, p, p+".debug")
		}
	}
	return out
}

// moduleDebugByName are the files of module name in the debug trees of
// release: for a module copied out of /lib/modules, whose path says
// nothing (its vermagic names the release; the build-id check decides).
func moduleDebugByName(name, release string, dirs []string) []string {
	if release == "" {
		return nil
	}
	var out []string
	for _, d := range dirs {
		out = append(out, moduleFiles(filepath.Join(d, "lib/modules", release))[name]...)
	}
	return out
}
