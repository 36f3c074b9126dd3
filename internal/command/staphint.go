package command

import (
	"errors"
	"strings"

	"github.com/stapgen/stapgen/internal/stap"
)

// explainStapError points a semantic error at the part of the request that
// named the identifier stap complains about.
func explainStapError(err error, fields, where, functions []string) error {
	var se *stap.Error
	if !errors.As(err, &se) || se.Class != stap.ClassSemantic || se.Identifier == "" {
		return err
	}
	id := strings.TrimPrefix(se.Identifier, "$")
	for _, flag := range []struct {
		name string
		vals []string
	}{{"fields", fields}, {"where", where}} {
		for _, v := range flag.vals {
			if strings.Contains(v, id) {
				return withHint(err, ExitStap, "stap cannot read %q, named in --%s %q; `stapgen show` lists what is readable", id, flag.name, v)
			}
		}
	}
	for _, fn := range functions {
		if strings.Contains(fn, id) {
			return withHint(err, ExitStap, "stap cannot place a probe on %q; check it with `stapgen show TARGET %s`", fn, fn)
		}
	}
	return err
}

// lossHint says what makes stap keep up.
func lossHint(l stap.Losses) string {
	switch {
	case l.Transport > 0:
		return "stap's output buffer filled up: raise it with --stap-arg=-s64 (MB per CPU), or trace fewer calls (--where, fewer functions)"
	case l.Perf > 0:
		return "stapbpf's perf buffer filled up: trace fewer calls (--where, fewer functions) or use --runtime kernel"
	case l.Skipped > 0:
		return "stap skipped handlers (rerun with --verbose for its reasons); tracing fewer calls at once usually helps"
	}
	return "rerun with --verbose for stap's full output"
}
