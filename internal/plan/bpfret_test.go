package plan

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
)

var (
	tI8     = &debuginfo.Type{Kind: debuginfo.KindInt, Name: "int8", GoName: "int8", Size: 1}
	tGoBool = &debuginfo.Type{Kind: debuginfo.KindBool, Name: "bool", GoName: "bool", Size: 1}
	tF64    = &debuginfo.Type{Kind: debuginfo.KindFloat, Name: "float64", GoName: "float64", Size: 8}
	tPair   = &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "main.Pair", GoName: "main.Pair", Size: 16, Fields: []debuginfo.Field{{Name: "A", Type: tInt}, {Name: "B", Type: tInt, Offset: 8}}}
	tPPair  = &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "*main.Pair", GoName: "*main.Pair", Size: 8, Elem: tPair}
	tErr    = &debuginfo.Type{Kind: debuginfo.KindInterface, Name: "error", GoName: "error", Size: 16,
		Fields: []debuginfo.Field{{Name: "tab", Type: tPPair}, {Name: "data", Type: tPPair, Offset: 8}}}
)

// mixed returns one of each kind, in the registers Go's ABI gives them
// (rax; rbx; rcx,rdi; rsi,r8; r9; r10,r11; X0) and a last one on the
// stack, with a parameter k.
var mixed = &debuginfo.Function{Name: "main.Mixed", Lang: debuginfo.LangGo, Entry: 0x3000, End: 0x3100,
	Params: []debuginfo.Variable{{Name: "k", Type: tInt, Location: "reg rax", LocList: true}},
	Results: []debuginfo.Variable{{Name: "small", Type: tI8}, {Name: "ok", Type: tGoBool}, {Name: "s", Type: tGoStr}, {Name: "err", Type: tErr},
		{Name: "p", Type: tPPair}, {Name: "pair", Type: tPair}, {Name: "f", Type: tF64}, {Name: "far", Type: tInt}}}

type mixedFacts struct{ facts }

func (mixedFacts) Homes(f *debuginfo.Function) ([]goabi.Loc, []goabi.Loc, error) {
	if f != mixed {
		return facts{}.Homes(f)
	}
	return []goabi.Loc{regsLoc("rax")}, []goabi.Loc{regsLoc("rax"), regsLoc("rbx"), regsLoc("rcx", "rdi"), regsLoc("rsi", "r8"),
		regsLoc("r9"), regsLoc("r10", "r11"), regsLoc("xmm0"), {Stack: true, Off: 8}}, nil
}

func regsLoc(names ...string) goabi.Loc {
	var h goabi.Loc
	for i, n := range names {
		h.Pieces = append(h.Pieces, goabi.Piece{Reg: n, Off: int64(i) * 8, Size: 8})
	}
	return h
}

// bpfRet plans req on the BPF runtime for a stripped target (symbols: a
// generated debug file names its points) or one with DWARF.
func bpfRet(req spec.Request, ver stap.Version, symbols bool) (*Plan, error) {
	req.Runtime = spec.RuntimeBPF
	in := Inputs{Request: &req, Target: Target{Path: "/bin/x", Symbols: symbols}, Funcs: resolver{"main.Str": goStr, "main.Mixed": mixed}, Go: mixedFacts{}, Stap: ver}
	if !symbols {
		in.Types = types{"uint64": &debuginfo.Type{Kind: debuginfo.KindUint, Name: "uint64", Size: 8}}
	}
	return Build(in)
}

var stap48 = stap.Version{Major: 4, Minor: 8}

func goReturn(p *Plan) *Probe {
	for i := range p.Probes {
		if p.Probes[i].Site == event.SiteReturn {
			return &p.Probes[i]
		}
	}
	return nil
}

func ureg(n int) UReg { return UReg{Num: n} }

// TestBPFGoReturnProbe: on the BPF runtime a Go return is probed at each
// RET address, reads each result from its ABI register with @uregister
// (narrowed when smaller than a word), a string as the Bytes of its two
// registers, an error as its two words, a result on the stack through
// @cast words above RSP, as a stack parameter; an XMM register prints "!". The goroutine id is read as at the
// entry. With stap 4.8 only a stripped target's generated symbols place
// it (no guru mode then); stap 5 places addresses with -g.
func TestBPFGoReturnProbe(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ver     stap.Version
		symbols bool
		guru    bool
	}{
		{"stripped, stap 4.8", stap48, true, true},
		{"stripped, stap 5.1", stap.Version{Major: 5, Minor: 1}, true, true},
		{"DWARF, stap 5.1", stap.Version{Major: 5, Minor: 1}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := bpfRet(spec.Request{Probes: []spec.Probe{{Function: "main.Mixed", Return: true}}}, tc.ver, tc.symbols)
			if err != nil {
				t.Fatal(err)
			}
			// The word type's module: the debug file's (the binary's path),
			// or where the fake types say stap finds it.
			module := "/bin/x"
			if !tc.symbols {
				module = "kernel"
			}
			goid := Var{Of: Cast{X: ureg(14), Type: "uint64", Module: module}, Steps: []VarStep{{Index: 19}}}
			r := goReturn(p)
			if r == nil || len(p.Probes) != 1 {
				t.Fatalf("probes %+v, want one return", p.Probes)
			}
			if want := []Point{{Kind: PointAddress, Path: "/bin/x", Addr: 0x1000}}; !reflect.DeepEqual(r.Points, want) {
				t.Errorf("points %+v, want %+v", r.Points, want)
			}
			if !reflect.DeepEqual(r.Goid, Expr(goid)) {
				t.Errorf("goid %#v, want %#v", r.Goid, goid)
			}
			if p.Guru != tc.guru || r.Check || r.ClearDedup {
				t.Errorf("guru %v check %v clear %v", p.Guru, r.Check, r.ClearDedup)
			}
			word := ""
			if b, ok := fieldNamed(r, "s").Value.(Bytes); ok {
				word = b.Word
			}
			for _, w := range []struct {
				name string
				v    Value
			}{
				{"small", Int{X: Narrow{X: ureg(0), Size: 1, Signed: true}, Signed: true}},
				{"ok", Int{X: Narrow{X: ureg(3), Size: 1}, Bool: true}},
				{"s", Bytes{Ptr: ureg(2), Len: ureg(5), Max: 64, Word: word, WordModule: module}},
				{"err", Iface{Type: ureg(4), Data: ureg(8)}},
				{"p", Ptr{X: ureg(9)}},
				{"pair.A", Int{X: ureg(10), Signed: true}},
				{"pair.B", Int{X: ureg(11), Signed: true}},
				{"f", Missing{Why: "floating-point registers are not readable through stap's register API"}},
				// At stack+8 (mixedFacts): the CFA, RSP+8 at a RET as at the
				// entry, plus 8 is word 2 above RSP.
				{"far", Int{X: Var{Of: Cast{X: ureg(7), Type: "uint64", Module: module}, Steps: []VarStep{{Index: 2}}}, Signed: true}},
			} {
				if got := fieldNamed(r, w.name).Value; !reflect.DeepEqual(got, w.v) {
					t.Errorf("%s = %#v, want %#v", w.name, got, w.v)
				}
			}
			if word != "uint64" {
				t.Errorf("string word type %q, want uint64", word)
			}
			// The debug file carries DWARF (the word type) for a stripped
			// target even when no parameter is described.
			if described := len(p.RegFuncs) == 1 && p.RegFuncs[0].Entry == mixed.Entry; described != tc.symbols {
				t.Errorf("RegFuncs %+v", p.RegFuncs)
			}
		})
	}
}

func fieldNamed(p *Probe, name string) Field {
	for _, f := range p.Fields {
		if f.Name == name {
			return f
		}
	}
	return Field{Name: name, Value: Missing{Why: "no such field"}}
}

// TestBPFGoEntryReturn: with the entry, a filter on a parameter marks the
// call at the entry and the RET checks the mark, as on the kernel
// runtime; the BPF entry keeps no stack-pointer dedup (restart records
// do that), so the RET clears none, and a checked record's values are
// spread over handlers of their own (the check's map lookup beside a
// string's reads overflowed stapbpf's stack).
func TestBPFGoEntryReturn(t *testing.T) {
	k := spec.Path{Root: "k"}
	p, err := bpfRet(spec.Request{Probes: []spec.Probe{{Function: "main.Mixed", Entry: true, Return: true}},
		Where: []spec.Filter{{Expr: spec.Predicate{Path: k, Op: spec.OpGt, Int: 4}}}}, stap48, true)
	if err != nil {
		t.Fatal(err)
	}
	var entry *Probe
	for i := range p.Probes {
		if p.Probes[i].Site == event.SiteEntry {
			entry = &p.Probes[i]
		}
	}
	r := goReturn(p)
	if entry == nil || r == nil {
		t.Fatalf("probes %+v", p.Probes)
	}
	if !entry.Mark || entry.Dedup || entry.Cond == nil {
		t.Errorf("entry mark %v dedup %v cond %v", entry.Mark, entry.Dedup, entry.Cond)
	}
	if !r.Check || r.ClearDedup || r.Cond != nil || r.Goid == nil {
		t.Errorf("return check %v clear %v cond %v goid %v", r.Check, r.ClearDedup, r.Cond, r.Goid)
	}
	if want := bpfFilteredSplit(r.Fields); !reflect.DeepEqual(r.Split, want) || len(want) == 0 {
		t.Errorf("return split %v, want %v", r.Split, want)
	}
}

// TestBPFGoResultFilter: a filter on a result is tested at the RET, and
// its values are spread over handlers as a checked record's.
func TestBPFGoResultFilter(t *testing.T) {
	p, err := bpfRet(spec.Request{Probes: []spec.Probe{{Function: "main.Mixed", Return: true}},
		Where: []spec.Filter{{Expr: spec.Predicate{Path: spec.Path{Root: "small"}, Op: spec.OpLt, Int: 0}}}}, stap48, true)
	if err != nil {
		t.Fatal(err)
	}
	r := goReturn(p)
	want := Cond(And{Compare{X: Narrow{X: ureg(0), Size: 1, Signed: true}, Op: spec.OpLt, N: 0}})
	if r == nil || !reflect.DeepEqual(r.Cond, want) || r.Check {
		t.Fatalf("return %+v, want the condition %#v", r, want)
	}
	if split := bpfFilteredSplit(r.Fields); !reflect.DeepEqual(r.Split, split) || len(split) == 0 {
		t.Errorf("split %v, want %v", r.Split, split)
	}
}

// TestBPFGoResultThroughPointer: members behind a returned pointer are
// read as stack parameters are, through @cast words of the register
// (a fault reads 0, where user_int64's ends the run), and print only when
// the pointer is not nil (NonNil: a nil one's members would read 0);
// without the word type they are refused.
func TestBPFGoResultThroughPointer(t *testing.T) {
	path, err := spec.ParsePath("p.B")
	if err != nil {
		t.Fatal(err)
	}
	req := spec.Request{Probes: []spec.Probe{{Function: "main.Mixed", Return: true, Fields: []spec.Path{path}}}}
	p, err := bpfRet(req, stap48, true)
	if err != nil {
		t.Fatal(err)
	}
	want := NonNil{Ptr: ureg(9), X: Int{X: Var{Of: Cast{X: ureg(9), Type: "uint64", Module: "/bin/x"}, Steps: []VarStep{{Index: 1}}}, Signed: true}}
	if got := fieldNamed(goReturn(p), "p.B").Value; !reflect.DeepEqual(got, want) {
		t.Errorf("p.B = %#v, want %#v", got, want)
	}
	req.Runtime = spec.RuntimeBPF
	_, err = Build(Inputs{Request: &req, Target: Target{Path: "/bin/x"}, Funcs: resolver{"main.Mixed": mixed}, Go: mixedFacts{}, Types: types{}, Stap: stap.Version{Major: 5, Minor: 1}})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "8-byte integer type") {
		t.Errorf("without the word type: %v, want a refusal naming it", err)
	}
}

// TestBPFGoReturnRefusals: what stays out of reach on the BPF runtime is
// refused with what is missing and what to do instead.
func TestBPFGoReturnRefusals(t *testing.T) {
	ret := func(fields ...string) spec.Request {
		var ps []spec.Path
		for _, f := range fields {
			p, err := spec.ParsePath(f)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		return spec.Request{Probes: []spec.Probe{{Function: "main.Mixed", Return: true, Entry: true, Fields: ps}}}
	}
	filtered := ret()
	filtered.Where = []spec.Filter{{Expr: spec.Predicate{Path: spec.Path{Root: "k"}, Op: spec.OpGt, Int: 4}}}
	for _, tc := range []struct {
		name    string
		req     spec.Request
		ver     stap.Version
		symbols bool
		want    []string
	}{
		{"DWARF under stap 4.8", ret(), stap48, false, []string{"stap 4.8 cannot place", "with DWARF", "no .debug_aranges", "stap 5.0 or newer", "drop --return"}},
		{"a float named", ret("f"), stap48, true, []string{"f cannot be read here", "floating-point"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := bpfRet(tc.req, tc.ver, tc.symbols)
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("err = %v, want a refusal", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v\nlacks %q", err, w)
				}
			}
		})
	}
	// A mark kept per goroutine needs the goroutine id: a target with
	// DWARF and stap 5 but no 8-byte type to read it through.
	req := filtered
	req.Runtime = spec.RuntimeBPF
	_, err := Build(Inputs{Request: &req, Target: Target{Path: "/bin/x"}, Funcs: resolver{"main.Mixed": mixed}, Go: mixedFacts{}, Types: types{}, Stap: stap.Version{Major: 5, Minor: 1}})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "goroutine id cannot be read") {
		t.Errorf("mark without goroutine ids: %v", err)
	}
}
