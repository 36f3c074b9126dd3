package plan

import (
	"fmt"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/spec"
)

// selectFields prints the named paths, or every value in order.
func (b *builder) selectFields(vals map[string]ref, order []string, paths []spec.Path) ([]Field, error) {
	var out []Field
	if len(paths) == 0 {
		for _, name := range order {
			out = append(out, from(b.em.fields(vals[name], name, b.plan.Limits.Depth), DefaultField+name)...)
		}
	} else {
		for _, p := range paths {
			r, err := b.resolvePath(vals, order, p)
			if err != nil {
				return nil, err
			}
			fs := b.em.fields(r, p.String(), b.plan.Limits.Depth)
			if p.Whole != 0 {
				// A whole value prints what it can: a member that cannot
				// be read here is "!", with a note.
				if fs, err = b.em.whole(r, p, wholeDepth(p, b.plan.Limits)); err != nil {
					return nil, err
				}
			} else {
				for _, f := range fs {
					// A value asked for by name is read, or refused with the
					// reason; only what this runtime lacks is marked "!".
					if m, ok := f.Value.(Missing); ok && !m.Runtime {
						return nil, refuse("%s cannot be read here: %s", f.Name, m.Why)
					}
				}
			}
			out = append(out, from(fs, "--fields "+p.String())...)
		}
	}
	if len(out) > maxFieldsPerProbe {
		b.plan.Notes = append(b.plan.Notes, fmt.Sprintf("only the first %d values are printed", maxFieldsPerProbe))
		out = out[:maxFieldsPerProbe]
	}
	return out, nil
}

// DefaultField starts the origin of a value printed because no --fields
// named any.
const DefaultField = "the default field "

// from records the request text behind a value's fields.
func from(fs []Field, what string) []Field {
	for i := range fs {
		fs[i].From = what
	}
	return fs
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' || i == 0 && c == '~' {
			continue
		}
		return false
	}
	return true
}

// stacks are the backtrace fields of an entry record. stap's backtrace
// strings are space-separated addresses; the token joins them with commas.
func (b *builder) stacks() []Field {
	var out []Field
	if b.in.Request.KernelStack {
		out = append(out, Field{Name: event.KernelStack, Type: "backtrace", Enc: event.EncStack, Value: Stack{}, From: "--backtrace kernel"})
	}
	if b.in.Request.UserStack {
		out = append(out, Field{Name: event.UserStack, Type: "backtrace", Enc: event.EncStack, Value: Stack{User: true}, From: "--backtrace user"})
	}
	return out
}
