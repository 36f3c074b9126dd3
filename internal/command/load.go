package command

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/gofacts"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/urfave/cli/v2"
)

// targetFlags are shared by every command that opens a target.
func targetFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "release", Aliases: []string{"r"}, Usage: "kernel `RELEASE` for the target \"kernel\" (default: the running kernel, uname -r)"},
		&cli.StringSliceFlag{Name: "debug-dir", Usage: "extra `DIR` to search for separate debuginfo (.build-id/xx/yyyy.debug, .gnu_debuglink); default /usr/lib/debug"},
		&cli.BoolFlag{Name: "no-cache", Usage: "do not read or write the function index cache"},
	}
}

// loaded is an opened target with its function index.
type loaded struct {
	bin     *target.Binary
	funcs   functionSource
	release string
	// goFacts is set for Go binaries.
	goFacts plan.GoFacts
}

// functionSource is what list, show and the plan need from a target.
type functionSource interface {
	Lookup(name string) ([]*debuginfo.Function, error)
	Match(patterns ...string) ([]*debuginfo.Function, error)
}

func (l *loaded) Close() { l.bin.Close() }

func (l *loaded) planTarget() plan.Target {
	t := plan.Target{Path: l.bin.Path, BuildID: l.bin.BuildID, GoVersion: l.bin.GoVersion}
	if l.bin.Kind == target.KindKernel {
		t = plan.Target{Kernel: true, Release: l.release, BuildID: l.bin.BuildID}
	}
	return t
}

func kernelRelease(c *cli.Context) string {
	if r := c.String("release"); r != "" {
		return r
	}
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// openBinary resolves the target named on the command line ("kernel" to
// its vmlinux) and opens its ELF file; release is the kernel release asked
// for, "" otherwise.
func openBinary(c *cli.Context, name string) (bin *target.Binary, release string, err error) {
	if name == target.KernelTarget {
		release = kernelRelease(c)
	}
	path, err := target.Resolve(name, release, "")
	if err != nil {
		return nil, "", withHint(err, ExitTarget, "give the vmlinux path directly, or --release for another kernel")
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, "", fmt.Errorf("target %s: %w", name, err)
		}
		return nil, "", withHint(fmt.Errorf("target %s: %w", name, err), ExitTarget, "TARGET is a path to an ELF binary or vmlinux, or \"kernel\"")
	}
	bin, err = target.OpenWith(path, target.Options{DebugDirs: debugDirs(c)})
	return bin, release, err
}

// openTarget resolves and opens the target named on the command line, with
// its functions.
func openTarget(c *cli.Context, name string) (*loaded, error) {
	bin, release, err := openBinary(c, name)
	if err != nil {
		return nil, err
	}
	l := &loaded{bin: bin, release: release}
	if bin.Kind == target.KindKernel && release == "" {
		l.release = releaseFromPath(bin.Path)
	}
	if !bin.HasDWARF() {
		if bin.Kind == target.KindGo {
			s, err := gofacts.Stripped(bin)
			if err != nil {
				bin.Close()
				return nil, err
			}
			l.funcs, l.goFacts = s, s.Facts()
			return l, nil
		}
		err := bin.RequireDWARF()
		bin.Close()
		return nil, err
	}
	idx, err := debuginfo.OpenWith(bin, debuginfo.Options{NoCache: c.Bool("no-cache")})
	if err != nil {
		bin.Close()
		return nil, err
	}
	l.funcs = idx
	if bin.Kind == target.KindGo {
		l.goFacts = gofacts.New(bin, idx)
	}
	return l, nil
}

func debugDirs(c *cli.Context) []string {
	dirs := c.StringSlice("debug-dir")
	if len(dirs) == 0 {
		return nil
	}
	return append(dirs, "/usr/lib/debug")
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
