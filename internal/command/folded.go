package command

import (
	"strconv"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/report"
	"github.com/stapgen/stapgen/internal/symbolize"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/urfave/cli/v2"
)

// stackNamer names backtrace frames for --format folded from the symbol
// table of name (a program, a vmlinux, or "kernel"): its user frames for a
// program, its kernel frames for a vmlinux. Frames it cannot name, and all
// frames when name is "", are hex addresses. Only the ELF symbols are read:
// no DWARF index is needed to name a frame.
func stackNamer(c *cli.Context, name string) (report.Namer, error) {
	var user, kernel *symbolize.Table
	if name != "" {
		bin, _, err := openBinary(c, name)
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
