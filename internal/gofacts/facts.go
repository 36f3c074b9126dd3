package gofacts

import (
	"fmt"
	"strings"
	"sync"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/disasm"
	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/target"
)

// Facts implements plan.GoFacts for a Go binary with DWARF.
type Facts struct {
	bin *target.Binary
	idx *debuginfo.Index

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
	// A method of a generic type carries its receiver before the
	// dictionary: "pkg.(*T[go.shape.int]).M" or "pkg.T[go.shape.int].M".
	recv := strings.Contains(f.Name, ").") || strings.Contains(f.Name, "].")
	return goabi.Options{Dict: goabi.DictFor(f.Name, recv)}
}

// Homes computes where each param is at entry and each result at a RET.
func (x *Facts) Homes(f *debuginfo.Function) (params, results []goabi.Loc, err error) {
	var pt, rt []*debuginfo.Type
	for _, v := range f.Params {
		pt = append(pt, v.Type)
	}
	for _, v := range f.Results {
		rt = append(rt, v.Type)
	}
	in, out, err := goabi.Assign(pt, rt, options(f, x.idx.GoRegABI))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	return in, out, nil
}

// Rets returns the address of every RET instruction of f.
func (x *Facts) Rets(f *debuginfo.Function) ([]uint64, error) {
	code, err := x.idx.Code(f)
	if err != nil {
		return nil, err
	}
	return disasm.Rets(code, f.Entry)
}

// GoidOffset is the offset of runtime.g.goid, from the binary's DWARF.
func (x *Facts) GoidOffset() (int64, error) {
	x.goidOnce.Do(func() { x.goid, x.goidErr = x.idx.GoidOffset() })
	return x.goid, x.goidErr
}

// StackCheck describes f's stack-check prologue for the plan.
func (x *Facts) StackCheck(f *debuginfo.Function) (plan.StackCheck, bool) {
	code, err := x.idx.Code(f)
	if err != nil {
		return plan.StackCheck{}, false
	}
	sc, ok := disasm.FindStackCheck(code, f.Entry)
	if !ok {
		return plan.StackCheck{}, false
	}
	out := plan.StackCheck{Frame: sc.Frame, Guard: sc.Guard}
	if pe, ok := x.idx.PrologueEnd(f); ok {
		if d, ok := disasm.FrameSetup(code, f.Entry, sc.After, pe); ok {
			out.Body, out.BodySP = pe, d
		}
	}
	return out, true
}
