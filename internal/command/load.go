package command

import (
	"errors"
	"os"

	"github.com/stapgen/stapgen/internal/gosource"
	"github.com/stapgen/stapgen/internal/session"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/urfave/cli/v2"
)

// targetFlags are shared by every command that opens a target.
func targetFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "release", Aliases: []string{"r"}, Usage: "kernel `RELEASE` (or build tree DIR) that stap builds against (stap -r), for every target; also picks the vmlinux of the target \"kernel\" (default: the running kernel, uname -r)"},
		&cli.StringFlag{Name: "root", Usage: "system root `DIR` (a mounted image, an unpacked package tree) holding the kernel, /lib/modules/R and /usr/lib/debug, for the targets \"kernel\" and module:NAME (default: /)"},
		&cli.StringSliceFlag{Name: "debug-dir", Usage: "extra `DIR` to search for separate debuginfo (.build-id/xx/yyyy.debug, .gnu_debuglink); default /usr/lib/debug"},
		&cli.BoolFlag{Name: "no-cache", Usage: "do not read or write the function index cache"},
		&cli.StringFlag{Name: "signature", Usage: "for a Go binary without DWARF: the function's `SIGNATURE` as Go writes it, e.g. 'func(source, target, fstype string, flags uintptr, data string) (err error)'"},
		&cli.StringFlag{Name: "go-source", Usage: "for a Go binary without DWARF: a GOROOT (`DIR`) of the binary's Go version, for the standard library's types (default: Debian's golang-X.Y-src, $GOROOT, /usr/local/go when the version matches)"},
		&cli.StringFlag{Name: "source", Usage: "for a Go binary without DWARF: the main module's source tree (`DIR`, vendor/ included) for its own types (default: the module cache for what the build info names)"},
	}
}

// openFlags reads the target flags.
func openFlags(c *cli.Context) session.OpenOptions {
	return session.OpenOptions{Release: c.String("release"), Root: c.String("root"), DebugDirs: splitList(c.StringSlice("debug-dir")), NoCache: c.Bool("no-cache"),
		Types: gosource.Options{Signature: c.String("signature"), GoSource: c.String("go-source"), Source: c.String("source")}}
}

// openHint says what to change when a target cannot be found.
func openHint(err error) error {
	var se *session.Error
	if !errors.As(err, &se) {
		return err
	}
	switch {
	case se.Stage == session.StageResolve:
		if errors.Is(err, target.ErrModuleNotFound) || errors.Is(err, target.ErrCompressedModule) {
			return withHint(err, ExitTarget, "give the module's .ko path directly, or --release/--root/--debug-dir for where its files are")
		}
		return withHint(err, ExitTarget, "give the vmlinux path directly, or --release for another kernel")
	case se.Stage == session.StageTargetFile && !errors.Is(err, os.ErrPermission):
		return withHint(err, ExitTarget, "TARGET is a path to an ELF binary, vmlinux or .ko, \"kernel\", or module:NAME")
	}
	return err
}

// openTarget opens a target with its functions, hints added.
func openTarget(name string, o session.OpenOptions) (*session.Target, error) {
	t, err := session.Open(name, o)
	return t, openHint(err)
}

// openBinary opens a target's ELF file only, hints added.
func openBinary(name string, o session.OpenOptions) (*target.Binary, error) {
	bin, _, err := session.OpenBinary(name, o)
	return bin, openHint(err)
}
