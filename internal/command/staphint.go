package command

import (
	"errors"
	"strings"

	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/script"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
)

// explainStapError points a semantic error at the part of the request
// that produced the script line stap complains about: the generator marks
// each probe, filter and field with the request text behind it.
func explainStapError(err error, src []byte) error {
	var se *stap.Error
	if !errors.As(err, &se) || se.Class != stap.ClassSemantic || se.Line == 0 {
		return err
	}
	what, ok := script.OriginAt(src, se.Line, se.Identifier)
	if !ok {
		return err
	}
	id := strings.TrimPrefix(se.Identifier, "$")
	if strings.HasPrefix(what, "--") || strings.HasPrefix(what, plan.DefaultField) {
		return withHint(err, ExitStap, "stap cannot read %q, from %s; `stapgen show` lists what is readable", id, what)
	}
	if fn, _, _, ok := spec.FuncLine(what); ok {
		return withHint(err, ExitStap, "stap cannot place a probe on %q; `stapgen lines TARGET %s` lists the lines it can", what, fn)
	}
	return withHint(err, ExitStap, "stap cannot place a probe on %q; check it with `stapgen show TARGET %s`", what, what)
}

// lossHint says what makes stap keep up.
func lossHint(l stap.Losses) string {
	switch {
	case l.Transport > 0:
		return "stap's output buffer filled up: raise it with --stap-arg=-s64 (MB per CPU), or trace fewer calls (--where, fewer functions)"
	case l.Perf > 0:
		return "stapbpf's perf buffer filled up: trace fewer calls (--where, fewer functions) or use --runtime kernel"
	case l.Missing > 0:
		return "stapbpf exits once the -c command ends without reading what its perf buffers still hold, which a busy machine makes more likely; rerun, trace fewer calls (--where, fewer functions) or use --runtime kernel"
	case l.Skipped > 0:
		return "stap skipped handlers (rerun with --verbose for its reasons); tracing fewer calls at once usually helps"
	}
	return "rerun with --verbose for stap's full output"
}
