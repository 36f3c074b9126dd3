package command

import (
	"strconv"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/report"
	"github.com/stapgen/stapgen/internal/symbolize"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/urfave/cli/v2"
)

// symbolTables reads the symbol table of name (a program, a vmlinux, or
// "kernel") for naming backtrace frames: a program's names its user
// frames, a vmlinux's its kernel frames. Only the ELF symbols are read: no
// DWARF index is needed to name a frame. name "" gives no tables.
func symbolTables(c *cli.Context, name string) (user, kernel *symbolize.Table, err error) {
	if name == "" {
		return nil, nil, nil
	}
	bin, _, err := openBinary(c, name)
	if err != nil {
		return nil, nil, err
	}
	st, err := bin.Symbols()
	kind := bin.Kind
	bin.Close()
	if err != nil {
		return nil, nil, err
	}
	if kind == target.KindKernel {
		return nil, symbolize.New(st), nil
	}
	return symbolize.New(st), nil, nil
}

// stackNamer names frames for --format folded: from the symbols of name,
// symbolize.Unknown where they do not reach, and hex addresses for a
// stack no table covers.
func stackNamer(c *cli.Context, name string) (report.Namer, error) {
	user, kernel, err := symbolTables(c, name)
	if err != nil {
		return nil, err
	}
	return func(e event.Event, field string, stack []uint64) []string {
		t := user
		if field == "kernel_stack" {
			t = kernel
		}
		if t == nil {
			out := make([]string, len(stack))
			for i, a := range stack {
				out[i] = "0x" + strconv.FormatUint(a, 16)
			}
			return out
		}
		return t.Frames(e.Function, stack)
	}, nil
}

// frameNamer names frames for table and JSON output, which keep the
// addresses: "" where the symbols do not reach, nil for a stack no table
// covers.
func frameNamer(c *cli.Context, name string) (report.Namer, error) {
	user, kernel, err := symbolTables(c, name)
	if err != nil {
		return nil, err
	}
	return func(e event.Event, field string, stack []uint64) []string {
		t := user
		if field == "kernel_stack" {
			t = kernel
		}
		if t == nil {
			return nil
		}
		names := t.Frames(e.Function, stack)
		for i, n := range names {
			if n == symbolize.Unknown {
				names[i] = ""
			}
		}
		return names
	}, nil
}

// hasStacks says whether any probe of s records a backtrace.
func hasStacks(s *event.Schema) bool {
	for _, p := range s.Probes {
		for _, f := range p.Fields {
			if f.Enc == event.EncStack {
				return true
			}
		}
	}
	return false
}
