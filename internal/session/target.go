package session

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/gofacts"
	"github.com/stapgen/stapgen/internal/goruntime"
	"github.com/stapgen/stapgen/internal/gosource"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/target"
)

// OpenOptions say how to find and read a target.
type OpenOptions struct {
	// Release is the kernel release for the target "kernel" ("" for the
	// running kernel).
	Release string
	// DebugDirs are searched for separate debuginfo before /usr/lib/debug;
	// none means only /usr/lib/debug.
	DebugDirs []string
	// Root is the system root that "kernel" and "module:NAME" are found
	// under (its /boot, /lib/modules, /usr/lib/debug): "" for the live
	// system, a mounted image or a package tree otherwise.
	Root string
	// NoCache neither reads nor writes the function index cache.
	NoCache bool
	// Types say where a Go binary without DWARF gets its functions'
	// types (--signature, --go-source, --source).
	Types gosource.Options
}

// FunctionSource is what listing, showing and planning need from a target.
type FunctionSource interface {
	Lookup(name string) ([]*debuginfo.Function, error)
	Match(patterns ...string) ([]*debuginfo.Function, error)
}

// Target is an opened target with its function index.
type Target struct {
	Bin *target.Binary
	// Funcs is the DWARF index, or the pclntab table of a stripped Go binary.
	Funcs FunctionSource
	// Release is the kernel release of a vmlinux target, when known.
	Release string
	// goFacts is set for Go binaries.
	goFacts *gofacts.Facts
	// types gives a Go binary without DWARF its types from source.
	types *sourceTypes
	// kernel is Funcs for the target "kernel": vmlinux and its modules.
	kernel *kernelFuncs
	// opts are the options the target was opened with; casts open the
	// kernel or a module they name with them.
	opts OpenOptions
	// casts is set once a cast's types are looked up.
	casts *castTypes
}

// Close releases the target's file and index (and the modules opened).
func (t *Target) Close() {
	if t.casts != nil {
		t.casts.close()
	}
	if t.kernel != nil {
		t.kernel.close()
	}
	t.Bin.Close()
}

// Lookup finds functions by name (exact, glob, a|b, FILE:LINE).
// A Go binary without DWARF gets its types from source here.
func (t *Target) Lookup(name string) ([]*debuginfo.Function, error) { return t.typed().Lookup(name) }

// typed is the function source whose functions carry types: for a Go
// binary without DWARF, typed from source as they are found.
func (t *Target) typed() FunctionSource {
	if t.types != nil {
		return t.types
	}
	return t.Funcs
}

// TypesOf says where f's types came from when they are not the binary's
// own DWARF (Go source, a --signature), or why f has none.
func (t *Target) TypesOf(f *debuginfo.Function) (origin, whyNot string) {
	if t.types == nil {
		return "", ""
	}
	return t.types.about(f.Name)
}

// Match lists the functions matching any of the glob patterns.
// Lines lists the probe-able lines of f with the variables at each; it
// needs the target's DWARF (a stripped Go binary has no line table stap
// can use).
func (t *Target) Lines(f *debuginfo.Function) ([]debuginfo.Line, error) {
	ll, ok := t.Funcs.(plan.LineLister)
	if !ok || f.NoTypes {
		return nil, fmt.Errorf("%w: %s: the target has no DWARF, so stap can place no line probe in it", plan.ErrRefused, f.Name)
	}
	return ll.Lines(f)
}

// IsClone reports whether f is a compiler clone (f.part.0), which stap
// leaves out of line probes on f.
func (t *Target) IsClone(f *debuginfo.Function) bool {
	ll, ok := t.Funcs.(plan.LineLister)
	return ok && ll.IsClone(f)
}

func (t *Target) Match(patterns ...string) ([]*debuginfo.Function, error) {
	return t.Funcs.Match(patterns...)
}

func (t *Target) planTarget() plan.Target {
	if t.Bin.Module != "" {
		return plan.Target{Kernel: true, Module: stapModuleName(t.Bin, t.Release), Release: t.Release, BuildID: t.Bin.BuildID}
	}
	if t.Bin.Kind == target.KindKernel {
		return plan.Target{Kernel: true, Release: t.Release, BuildID: t.Bin.BuildID}
	}
	return plan.Target{Path: t.Bin.Path, BuildID: t.Bin.BuildID, GoVersion: t.Bin.GoVersion, Library: t.Bin.Library, Symbols: t.needsSymbols()}
}

// needsSymbols: stap finds no function in a binary with neither DWARF nor
// a symbol table; a generated debug file gives it symbols (symfile).
func (t *Target) needsSymbols() bool {
	return t.Bin.Kind == target.KindGo && !t.Bin.HasDWARF() && !t.Bin.HasSection(".symtab")
}

// planGo is the Go facts as the plan takes them: a nil interface, not a
// nil pointer in one, when there are none.
func (t *Target) planGo() plan.GoFacts {
	if t.goFacts == nil {
		return nil
	}
	return t.goFacts
}

// RunningRelease is the release of the running kernel, "" when unknown.
func RunningRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// OpenBinary resolves name ("kernel" to the vmlinux of o.Release or the
// running kernel) and opens its ELF file; only its symbols and headers are
// read. release is the kernel release asked for, "" for other targets.
func OpenBinary(name string, o OpenOptions) (bin *target.Binary, release string, err error) {
	if name == target.KernelTarget || strings.HasPrefix(name, target.ModulePrefix) {
		release = o.Release
		if release == "" {
			release = RunningRelease()
		}
	}
	dirs := o.debugDirs()
	path, err := target.Resolve(name, release, o.Root, dirs)
	if err != nil {
		return nil, "", &Error{Stage: StageResolve, Err: err}
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if _, err := os.Stat(path); err != nil {
		return nil, "", &Error{Stage: StageTargetFile, Err: fmt.Errorf("target %s: %w", name, err)}
	}
	bin, err = target.OpenWith(path, target.Options{DebugDirs: dirs})
	return bin, release, err
}

// debugDirs are the separate debuginfo roots: those given, then the
// system's (under Root); nil means the library default, /usr/lib/debug.
func (o OpenOptions) debugDirs() []string {
	if len(o.DebugDirs) == 0 && o.Root == "" {
		return nil
	}
	root := o.Root
	if root == "" {
		root = "/"
	}
	return append(append([]string(nil), o.DebugDirs...), filepath.Join(root, "usr/lib/debug"))
}

// Open resolves and opens a target with its functions: the DWARF index,
// or for a stripped Go binary the table of .gopclntab.
func Open(name string, o OpenOptions) (*Target, error) {
	bin, release, err := OpenBinary(name, o)
	if err != nil {
		return nil, err
	}
	return attach(name, bin, release, o)
}

// attach opens the functions of an opened binary (closed on failure).
func attach(name string, bin *target.Binary, release string, o OpenOptions) (*Target, error) {
	t := &Target{Bin: bin, Release: release, opts: o}
	if bin.Kind == target.KindKernel && release == "" {
		t.Release = releaseFromPath(bin.Path)
		if t.Release == "" && bin.Module != "" {
			t.Release = bin.ModuleRelease()
		}
	}
	if !bin.HasDWARF() {
		if bin.Kind == target.KindGo {
			s, err := gofacts.Stripped(bin)
			if err != nil {
				bin.Close()
				return nil, err
			}
			t.Funcs, t.goFacts = s, s.Facts()
			t.types = &sourceTypes{funcs: s, path: bin.Path, opts: o.Types, abi0: !goruntime.RegABIVersion(bin.GoVersion)}
			return t, nil
		}
		err := bin.RequireDWARF()
		bin.Close()
		return nil, err
	}
	idx, err := debuginfo.OpenWith(bin, debuginfo.Options{NoCache: o.NoCache})
	if err != nil {
		bin.Close()
		return nil, err
	}
	t.Funcs = idx
	if name == target.KernelTarget {
		t.kernel = newKernelFuncs(idx, bin, t.Release, o)
		t.Funcs = t.kernel
	}
	if bin.Kind == target.KindGo {
		t.goFacts = gofacts.New(bin, idx)
	}
	return t, nil
}

// releaseFromPath recovers a kernel release from where distributions put
// vmlinux files: .../vmlinux-RELEASE[.debug] or .../modules/RELEASE/...
func releaseFromPath(p string) string {
	base := filepath.Base(p)
	if r, ok := strings.CutPrefix(base, "vmlinux-"); ok {
		return strings.TrimSuffix(r, ".debug")
	}
	parts := strings.Split(filepath.ToSlash(p), "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "modules" {
			return parts[i+1]
		}
	}
	return ""
}
