package plan

import (
	"slices"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/goruntime"
)

// RegFunc is a function of a Symbols target (no DWARF) whose register
// parameters the BPF runtime reads as $name, as in a binary with DWARF
// (the BPF runtime has no u_register()), through the generated debug
// file's description of them (symfile.Sub). Plan.RegFuncs lists them; the session passes them
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
	// Path, for a pointer, names the members read through it (sched, pc):
	// only those are described.
	Path []string
}

// symbolsWord is the 8-byte type the generated debug file always carries
// beside described parameters (symfile.WordType), for a string's scan.
const symbolsWord = "uint64"

// regParam is how p, at home h, can be described: integers and bools in
// one register, a string's two words in two, a slice's three in three.
// Anything else (floats, structs, values on the stack) is not, and prints
// "!" as before.
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
	case debuginfo.KindSlice:
		pieces = 3
	default:
		return RegParam{}, false
	}
	if len(h.Pieces) != pieces {
		return RegParam{}, false
	}
	var regs []string
	for i, p := range h.Pieces {
		if !slices.Contains(goabi.IntRegs, p.Reg) || p.Off != int64(8*i) || pieces > 1 && p.Size != 8 {
			return RegParam{}, false
		}
		regs = append(regs, p.Reg)
	}
	return RegParam{Name: name, Type: t, Regs: regs}, true
}

// regFunc adds f's described parameters (maybe none) to the plan, once
// per function.
func (b *builder) regFunc(f *debuginfo.Function, params []RegParam) {
	if slices.ContainsFunc(b.plan.RegFuncs, func(r RegFunc) bool { return r.Entry == f.Entry }) {
		return
	}
	b.plan.RegFuncs = append(b.plan.RegFuncs, RegFunc{Name: f.Name, Entry: f.Entry, End: f.End, Params: params})
}

// restartParam is the goroutine parameter of a runtime restart point
// (goruntime.RestartFuncs) of a Symbols target, described so that its
// saved PC reads as $gp->sched->pc: a pointer in one register, to a struct
// whose sched member holds an 8-byte pc (the layout from the runtime's
// source, which the types came from).
func (b *builder) restartParam(f *debuginfo.Function) (RegParam, bool) {
	if !b.in.Target.Symbols || b.in.Go == nil || f.NoTypes {
		return RegParam{}, false
	}
	ph, _, err := b.in.Go.Homes(f)
	if err != nil {
		return RegParam{}, false
	}
	for i, v := range f.Params {
		if v.Name != goruntime.RestartParam || i >= len(ph) {
			continue
		}
		h := ph[i]
		t := v.Type
		if t == nil || t.Kind != debuginfo.KindPointer || t.Elem == nil || h.Stack || len(h.Pieces) != 1 || !slices.Contains(goabi.IntRegs, h.Pieces[0].Reg) {
			return RegParam{}, false
		}
		path := []string{"sched", "pc"}
		at := t.Elem
		for _, m := range path {
			i := slices.IndexFunc(at.Members(), func(f debuginfo.Field) bool { return f.Name == m })
			if i < 0 {
				return RegParam{}, false
			}
			at = at.Members()[i].Type
		}
		if at == nil || at.Kind != debuginfo.KindUint || at.Size != 8 {
			return RegParam{}, false
		}
		return RegParam{Name: v.Name, Type: t, Regs: []string{h.Pieces[0].Reg}, Path: path}, true
	}
	return RegParam{}, false
}
