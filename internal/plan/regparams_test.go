package plan

import (
	"reflect"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
)

// TestRegParamShapes: what a stripped binary's debug file can describe
// for the BPF runtime, by the Go ABI's placement: integers and bools in
// one integer register, a string's two words in two and a slice's three
// in three, in order; nothing on the stack, in an XMM register, or of
// another kind (a struct).
func TestRegParamShapes(t *testing.T) {
	reg := func(ps ...goabi.Piece) goabi.Loc { return goabi.Loc{Pieces: ps} }
	tF64 := &debuginfo.Type{Kind: debuginfo.KindFloat, Name: "float64", Size: 8}
	tI16 := &debuginfo.Type{Kind: debuginfo.KindInt, Name: "int16", Size: 2}
	tSlice := &debuginfo.Type{Kind: debuginfo.KindSlice, Name: "struct []uint8", Size: 24}
	for _, tc := range []struct {
		name string
		typ  *debuginfo.Type
		home goabi.Loc
		regs []string
	}{
		{"string", tGoStr, reg(goabi.Piece{Reg: "rax", Size: 8}, goabi.Piece{Reg: "rbx", Off: 8, Size: 8}), []string{"rax", "rbx"}},
		{"int16 in rcx", tI16, reg(goabi.Piece{Reg: "rcx", Size: 2}), []string{"rcx"}},
		{"int on the stack", tInt, goabi.Loc{Stack: true, Off: 8}, nil},
		{"float in x0", tF64, reg(goabi.Piece{Reg: "x0", Size: 8}), nil},
		{"string in one register", tGoStr, reg(goabi.Piece{Reg: "rax", Size: 8}), nil},
		{"slice", tSlice, reg(goabi.Piece{Reg: "rax", Size: 8}, goabi.Piece{Reg: "rbx", Off: 8, Size: 8}, goabi.Piece{Reg: "rcx", Off: 16, Size: 8}), []string{"rax", "rbx", "rcx"}},
		{"struct", &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "main.Rect", Size: 16}, reg(goabi.Piece{Reg: "rax", Size: 8}, goabi.Piece{Reg: "rbx", Off: 8, Size: 8}), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := regParam("v", tc.typ, tc.home)
			if ok != (tc.regs != nil) || !reflect.DeepEqual(p.Regs, tc.regs) {
				t.Errorf("regParam = %+v, %v; want registers %v", p, ok, tc.regs)
			}
		})
	}
}

// TestStrippedBPFPlan: a BPF plan of a stripped binary's Go string reads
// it as $s (the debug file's DWARF, listed in RegFuncs with the ABI's
// registers) and scans it through the file's uint64 naming the binary;
// the kernel runtime's plan lists nothing.
func TestStrippedBPFPlan(t *testing.T) {
	f := &debuginfo.Function{Name: "main.Str", Lang: debuginfo.LangGo, Entry: 0x2000, End: 0x2040,
		Params: []debuginfo.Variable{{Name: "s", Type: tGoStr}}, Results: []debuginfo.Variable{{Name: "~r0", Type: tInt}}}
	for _, rt := range []spec.Runtime{spec.RuntimeBPF, spec.RuntimeKernel} {
		req := spec.Request{Runtime: rt, Probes: []spec.Probe{{Function: "main.Str"}}}
		p, err := Build(Inputs{Request: &req, Target: Target{Path: "/bin/x", Symbols: true}, Funcs: resolver{"main.Str": f}, Go: facts{}, Stap: stap.Version{Major: 4, Minor: 8}})
		if err != nil {
			t.Fatalf("%s: %v", rt, err)
		}
		if rt == spec.RuntimeKernel {
			if len(p.RegFuncs) != 0 {
				t.Errorf("kernel runtime: RegFuncs %+v", p.RegFuncs)
			}
			continue
		}
		want := []RegFunc{{Name: "main.Str", Entry: 0x2000, End: 0x2040, Params: []RegParam{{Name: "s", Type: tGoStr, Regs: []string{"rax", "rbx"}}}}}
		if !reflect.DeepEqual(p.RegFuncs, want) {
			t.Errorf("RegFuncs = %+v, want %+v", p.RegFuncs, want)
		}
		var b Bytes
		for _, pr := range p.Probes {
			for _, fl := range pr.Fields {
				if v, ok := fl.Value.(Bytes); ok {
					b = v
				}
			}
		}
		if b.Word != "uint64" || b.WordModule != "/bin/x" || !reflect.DeepEqual(b.Ptr, Var{Name: "s", Steps: []VarStep{{Member: "str"}}}) {
			t.Errorf("the string reads as %+v", b)
		}
	}
}
