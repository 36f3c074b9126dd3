package command

import (
	"strconv"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/report"
	"github.com/stapgen/stapgen/internal/session"
	"github.com/stapgen/stapgen/internal/symbolize"
	"github.com/stapgen/stapgen/internal/target"
)

// frameNamer names backtrace frames from the symbol table of name (a
// program, a vmlinux, or "kernel"): a program's names its user frames, a
// vmlinux's its kernel frames. Only the ELF symbols are read: no DWARF
// index is needed to name a frame. For a frame the symbols do not reach it
// gives unknown; for a stack no table covers (or name ""), uncovered(stack).
func frameNamer(o session.OpenOptions, name, unknown string, uncovered func([]uint64) []string) (report.Namer, error) {
	var user, kernel *symbolize.Table
	if name != "" {
		bin, err := openBinary(name, o)
		if err != nil {
			return nil, err
		}
		st, err := bin.Symbols()
		kind := bin.Kind
		bin.Close()
		if err != nil {
			return nil, err
		}
		if kind == target.KindKernel {
			kernel = symbolize.New(st)
		} else {
			user = symbolize.New(st)
		}
	}
	return func(e event.Event, field string, stack []uint64) []string {
		t := user
		if field == event.KernelStack {
			t = kernel
		}
		if t == nil {
			return uncovered(stack)
		}
		names := t.Frames(e.Function, stack)
		if unknown != symbolize.Unknown {
			for i, n := range names {
				if n == symbolize.Unknown {
					names[i] = unknown
				}
			}
		}
		return names
	}, nil
}

// foldedNamer names frames for --format folded: "[unknown]" where the
// symbols do not reach, hex addresses for a stack no table covers.
func foldedNamer(o session.OpenOptions, name string) (report.Namer, error) {
	return frameNamer(o, name, symbolize.Unknown, func(stack []uint64) []string {
		out := make([]string, len(stack))
		for i, a := range stack {
			out[i] = "0x" + strconv.FormatUint(a, 16)
		}
		return out
	})
}

// valueNamer names frames for table and JSON output, which keep the
// addresses: "" where the symbols do not reach, nothing for a stack no
// table covers.
func valueNamer(o session.OpenOptions, name string) (report.Namer, error) {
	return frameNamer(o, name, "", func([]uint64) []string { return nil })
}

// hasEnc says whether any probe of s prints a field encoded as enc.
func hasEnc(s *event.Schema, enc event.Enc) bool {
	for _, p := range s.Probes {
		for _, f := range p.Fields {
			if f.Enc == enc {
				return true
			}
		}
	}
	return false
}
