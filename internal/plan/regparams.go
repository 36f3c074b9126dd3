package plan

import (
	"slices"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/goabi"
)

// RegFunc is a function of a Symbols target (no DWARF) whose register
// parameters the BPF runtime reads as $name: stapbpf reads registers only
// through DWARF locations, so the generated debug file must describe
// them (symfile.Sub). Plan.RegFuncs lists them; the session passes them
// to the debug file's writer.
type RegFunc struct {
	Name       string
	Entry, End uint64
	Params     []RegParam
}

// RegParam is one parameter in integer registers at the entry: Regs hold
// its 8-byte pieces in order (a string's pointer, then its length).
type RegParam struct {
	Name string
	Type *debuginfo.Type
	Regs []string
}

// symbolsWord is the 8-byte type the generated debug file always carries
// beside described parameters (symfile.WordType), for a string's scan.
const symbolsWord = "uint64"

// regParam is how p, at home h, can be described: integers and bools in
// one register, a string's two words in two. Anything else (floats,
// structs, slices, values on the stack) is not, and prints "!" as before.
func regParam(name string, t *debuginfo.Type, h goabi.Loc) (RegParam, bool) {
	if t == nil || h.Stack || !isIdent(name) {
		return RegParam{}, false
	}
	pieces := 1
	switch t.Kind {
	case debuginfo.KindBool, debuginfo.KindInt, debuginfo.KindUint:
		if t.Size < 1 || t.Size > 8 {
			return RegParam{}, false
		}
	case debuginfo.KindString:
		pieces = 2
	default:
		return RegParam{}, false
	}
	if len(h.Pieces) != pieces {
		return RegParam{}, false
	}
	var regs []string
	for i, p := range h.Pieces {
		if !slices.Contains(goabi.IntRegs, p.Reg) || p.Off != int64(8*i) || pieces == 2 && p.Size != 8 {
			return RegParam{}, false
		}
		regs = append(regs, p.Reg)
	}
	return RegParam{Name: name, Type: t, Regs: regs}, true
}

// regFunc adds f's described parameters to the plan, once per function.
func (b *builder) regFunc(f *debuginfo.Function, params []RegParam) {
	if len(params) == 0 || slices.ContainsFunc(b.plan.RegFuncs, func(r RegFunc) bool { return r.Entry == f.Entry }) {
		return
	}
	b.plan.RegFuncs = append(b.plan.RegFuncs, RegFunc{Name: f.Name, Entry: f.Entry, End: f.End, Params: params})
}
