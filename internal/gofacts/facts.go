package gofacts

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/disasm"
	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/gopclntab"
	"github.com/stapgen/stapgen/internal/goruntime"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/target"
)

// Facts implements plan.GoFacts for a Go binary. With DWARF (idx) it has
// types and the line table's prologue end; without, tab's function table
// and runtime type metadata answer what the code bytes cannot.
type Facts struct {
	bin *target.Binary
	idx *debuginfo.Index // nil for a binary without DWARF
	tab *gopclntab.Table // nil until needed when idx is set

	goidOnce sync.Once
	goid     int64
	goidErr  error
}

// New returns the facts of bin, whose DWARF idx was opened from.
func New(bin *target.Binary, idx *debuginfo.Index) *Facts {
	return &Facts{bin: bin, idx: idx}
}

var _ plan.GoFacts = (*Facts)(nil)

func options(f *debuginfo.Function, regABI bool) goabi.Options {
	if !regABI {
		return goabi.Options{ABI0: true}
	}
	return goabi.Options{Dict: goruntime.Dictionary(f.Name)}
}

// Homes computes where each param is at entry and each result at a RET.
func (x *Facts) Homes(f *debuginfo.Function) (params, results []goabi.Loc, err error) {
	if f.NoTypes {
		return nil, nil, fmt.Errorf("%s: no parameter types without DWARF", f.Name)
	}
	var pt, rt []*debuginfo.Type
	for _, v := range f.Params {
		pt = append(pt, v.Type)
	}
	for _, v := range f.Results {
		rt = append(rt, v.Type)
	}
	in, out, err := goabi.Assign(pt, rt, options(f, x.regABI()))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	return in, out, nil
}

// regABI: the binary passes arguments in registers (Go 1.17 and later on
// amd64), from its DWARF producer or, without DWARF, its Go version.
func (x *Facts) regABI() bool {
	if x.idx != nil {
		return x.idx.GoRegABI
	}
	return goruntime.RegABIVersion(x.bin.GoVersion)
}

// code is f's machine code, from its entry to its end (for a function
// from the function table, the next one's entry: the padding between them
// is INT3, which neither the RET nor the prologue search mistakes). It is
// a copy, read with the file pinned: after Close it is an error, not a
// read of unmapped memory.
func (x *Facts) code(f *debuginfo.Function) (code []byte, err error) {
	if f.Inlined || f.End <= f.Entry {
		return nil, fmt.Errorf("%s: no out-of-line code", f.Name)
	}
	if uerr := x.bin.Use(func() {
		code, err = x.bin.ReadAt(f.Entry, int(f.End-f.Entry))
		code = bytes.Clone(code)
	}); uerr != nil {
		return nil, fmt.Errorf("%s: %w", x.bin.Path, uerr)
	}
	return code, err
}

// Rets returns the address of every RET instruction of f.
func (x *Facts) Rets(f *debuginfo.Function) ([]uint64, error) {
	code, err := x.code(f)
	if err != nil {
		return nil, err
	}
	return disasm.Rets(code, f.Entry)
}

// GoidOffset is the offset of runtime.g.goid: from the DWARF, else from
// the runtime's type descriptor of runtime.g, which every Go binary has.
func (x *Facts) GoidOffset() (int64, error) {
	x.goidOnce.Do(func() {
		if x.idx != nil {
			if x.goid, x.goidErr = x.idx.GoidOffset(); x.goidErr == nil {
				return
			}
		}
		dwarfErr := x.goidErr
		// The table slices the mapping: read it pinned (gopclntab.ReadMapped).
		if uerr := x.bin.Use(func() {
			tab, err := x.table()
			if err != nil {
				x.goidErr = errors.Join(x.goidErr, fmt.Errorf("goid offset: %w", err))
				return
			}
			if x.goid, x.goidErr = tab.GoidOffset(); x.goidErr != nil {
				x.goidErr = errors.Join(dwarfErr, x.goidErr)
			}
		}); uerr != nil {
			x.goidErr = errors.Join(dwarfErr, fmt.Errorf("goid offset: %s: %w", x.bin.Path, uerr))
		}
	})
	return x.goid, x.goidErr
}

// StackCheck describes f's stack-check prologue for the plan.
func (x *Facts) StackCheck(f *debuginfo.Function) (plan.StackCheck, bool) {
	code, err := x.code(f)
	if err != nil {
		return plan.StackCheck{}, false
	}
	sc, ok := disasm.FindStackCheck(code, f.Entry)
	if !ok {
		return plan.StackCheck{}, false
	}
	out := plan.StackCheck{Frame: sc.Frame, Guard: sc.Guard, Stub: sc.Stub, End: f.End}
	if x.idx == nil {
		// No line table: the body is the first instruction past the
		// check, before any frame set-up (RSP as at the entry). Go 1.19
		// marks its prologue end there too; later Go after "push rbp;
		// mov rbp, rsp", which changes no argument register.
		out.Body = sc.After
		return out, true
	}
	if pe, ok := x.idx.PrologueEnd(f); ok {
		if d, ok := disasm.FrameSetup(code, f.Entry, sc.After, pe); ok {
			out.Body, out.BodySP = pe, d
		}
	}
	return out, true
}
