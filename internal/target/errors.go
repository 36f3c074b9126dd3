package target

import (
	"errors"
	"fmt"
)

// ErrNotELF is returned (wrapped) when a file is not an ELF object at all,
// for example a compressed vmlinuz or a script.
var ErrNotELF = errors.New("not an ELF file")

// ErrClosed is returned by Use, and by what reads through it, once the
// binary is closed.
var ErrClosed = errors.New("binary closed")

// ErrNoDebugInfo is matched (errors.Is) by *NoDebugInfoError.
var ErrNoDebugInfo = errors.New("no DWARF debug info")

// NoDebugInfoError says that neither the file nor any separate debuginfo
// file found for it carries .debug_info. Hint tells the user what to
// install; callers print Error() as one line.
type NoDebugInfoError struct {
	Path string
	Hint string
}

func (e *NoDebugInfoError) Error() string {
	return fmt.Sprintf("%s: no DWARF debug info (%s)", e.Path, e.Hint)
}

func (e *NoDebugInfoError) Is(target error) bool { return target == ErrNoDebugInfo }

// FormatError reports a corrupt or hostile ELF file: truncated sections,
// impossible sizes, or a panic inside debug/elf.
type FormatError struct {
	Path string
	Msg  string
}

func (e *FormatError) Error() string { return fmt.Sprintf("%s: corrupt ELF file: %s", e.Path, e.Msg) }

// noDebugInfo builds the error with an install hint fitting the kind of
// binary: kernels have dedicated -dbg packages, user binaries have their
// package's -dbg/-dbgsym or debuginfo-install.
func noDebugInfo(b *Binary) error {
	hint := "install its -dbg/-dbgsym package (Debian/Ubuntu) or run `debuginfo-install <package>` (Fedora), or rebuild with -g"
	switch b.Kind {
	case KindKernel:
		hint = "install linux-image-<release>-dbg (Debian), linux-image-<release>-dbgsym (Ubuntu) or run `debuginfo-install kernel` (Fedora)"
	case KindGo:
		hint = "the Go binary was built with -ldflags=-w or stripped; rebuild without -s -w"
	}
	if b.BuildID != "" {
		hint += "; build-id " + b.BuildID
	}
	return &NoDebugInfoError{Path: b.Path, Hint: hint}
}

// ErrUnsupportedArch is matched (errors.Is) by *ArchError.
var ErrUnsupportedArch = errors.New("unsupported architecture")

// ArchError refuses a binary of an architecture stapgen does not trace:
// its registers, calling convention and instructions are not x86-64's.
type ArchError struct {
	Path string
	Arch string // GOARCH spelling: arm64, 386, ...
}

func (e *ArchError) Error() string {
	return fmt.Sprintf("%s: %s binary: stapgen traces x86-64 (amd64) binaries only", e.Path, e.Arch)
}

func (e *ArchError) Is(target error) bool { return target == ErrUnsupportedArch }
