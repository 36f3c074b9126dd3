package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/session"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
	"github.com/stapgen/stapgen/internal/target"
)

// Exit codes. Each class of failure has its own so scripts can act on it.
const (
	ExitOK          = 0
	ExitError       = 1 // anything not classified below
	ExitUsage       = 2 // bad flags or arguments
	ExitTarget      = 3 // target file missing, not ELF, corrupt, no debug info
	ExitNotFound    = 4 // function not found
	ExitRefused     = 5 // the request cannot work with this runtime/stap version
	ExitStap        = 6 // stap failed (semantic error, compile error, no permission, ...)
	ExitNoStap      = 7 // stap not installed or not runnable
	ExitPermission  = 8 // a file or stap refused for lack of privilege
	ExitArch        = 9 // target built for an architecture other than x86-64
	ExitInterrupted = 130
)

// usageError is an argument problem; the message is printed with a pointer
// to --help.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// hinted carries a hint line for the user next to the error, and the
// exit code for an error no class below names.
type hinted struct {
	err  error
	hint string
	code int
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }

func withHint(err error, code int, format string, args ...any) error {
	return &hinted{err: err, hint: fmt.Sprintf(format, args...), code: code}
}

// classify maps an error to its exit code and hint.
func classify(err error) (code int, hint string) {
	var h *hinted
	if errors.As(err, &h) {
		c, hint2 := classify(h.err)
		// The inner error's own class is the more specific one (an
		// unreadable --probe-file is a permission problem, not a usage
		// one): the hint's code only classifies what nothing else did.
		if c == ExitError && h.code != 0 {
			c = h.code
		}
		if h.hint != "" {
			return c, h.hint
		}
		return c, hint2
	}
	var ue *usageError
	var nf *debuginfo.NotFoundError
	var se *stap.Error
	var fe *spec.FileError
	var ut *session.UntypedError
	var le *plan.LineError
	switch {
	case errors.Is(err, context.Canceled):
		return ExitInterrupted, ""
	case errors.As(err, &ue):
		return ExitUsage, "see `stapgen --help` or `stapgen COMMAND --help`"
	case errors.As(err, &fe), errors.Is(err, spec.ErrInvalid):
		return ExitUsage, ""
	case errors.As(err, &nf):
		if len(nf.Near) > 0 {
			return ExitNotFound, "did you mean: " + strings.Join(nf.Near, ", ")
		}
		return ExitNotFound, "list what is there with `stapgen list TARGET 'PATTERN*'`"
	case errors.As(err, &ut):
		return ExitRefused, ut.Why
	case errors.As(err, &le):
		return ExitRefused, le.Hint
	case errors.Is(err, plan.ErrRefused):
		return ExitRefused, ""
	case errors.As(err, &se):
		switch se.Class {
		case stap.ClassNotInstalled:
			return ExitNoStap, se.Hint
		case stap.ClassPermission:
			return ExitPermission, se.Hint
		}
		return ExitStap, se.Hint
	case errors.Is(err, target.ErrUnsupportedArch):
		return ExitArch, ""
	case errors.Is(err, os.ErrPermission):
		return ExitPermission, "stapgen reads targets and runs stap as root (or as a member of stapdev/stapusr)"
	case errors.Is(err, target.ErrNotELF), errors.Is(err, target.ErrNoDebugInfo), errors.Is(err, target.ErrKernelNotFound):
		return ExitTarget, ""
	}
	var fmtErr *target.FormatError
	if errors.As(err, &fmtErr) {
		return ExitTarget, ""
	}
	return ExitError, ""
}

// printError prints err as one line plus an optional hint.
func printError(w io.Writer, err error) int {
	code, hint := classify(err)
	msg := strings.TrimSpace(err.Error())
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	fmt.Fprintf(w, "stapgen: %s\n", msg)
	if hint != "" {
		fmt.Fprintf(w, "hint: %s\n", hint)
	}
	return code
}
