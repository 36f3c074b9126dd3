package plan

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
)

// word is the i-th 8-byte word above the stack pointer, read as the BPF
// runtime reads it in /bin/x.
func word(addr Expr, i int) Var {
	return Var{Of: Cast{X: addr, Type: "uint64", Module: "/bin/x"}, Steps: []VarStep{{Index: i}}}
}

// TestCastWordsRead: a value is read through the word holding it, indexed
// in words, and a smaller one keeps its own bytes of that word, sign-
// extended when signed; what no single word holds is refused.
func TestCastWordsRead(t *testing.T) {
	w := castWords{Type: "uint64", Module: "/bin/x"}
	sp := UReg{Num: 7}
	for _, tc := range []struct {
		off, size int64
		signed    bool
		want      Expr
		err       string
	}{
		{off: 8, size: 8, want: word(sp, 1)},
		{off: 152, size: 8, signed: true, want: word(sp, 19)},
		{off: 9, size: 1, signed: true, want: Narrow{X: word(sp, 1), Size: 1, Signed: true, Byte: 1}},
		{off: 12, size: 2, want: Narrow{X: word(sp, 1), Size: 2, Byte: 4}},
		{off: 20, size: 4, want: Narrow{X: word(sp, 2), Size: 4, Byte: 4}},
		{off: 0, size: 4, signed: true, want: Narrow{X: word(sp, 0), Size: 4, Signed: true}},
		{off: 6, size: 4, err: "straddle two words"},
		{off: 4, size: 8, err: "straddle two words"},
		{off: -8, size: 8, err: "before the address"},
		{off: 8, size: 3, err: "3-byte value"},
	} {
		got, err := w.read(sp, tc.off, tc.size, tc.signed)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("read(%d, %d): %v, %v; want an error saying %q", tc.off, tc.size, got, err, tc.err)
		case tc.err == "" && (err != nil || !reflect.DeepEqual(got, tc.want)):
			t.Errorf("read(%d, %d) = %#v, %v; want %#v", tc.off, tc.size, got, err, tc.want)
		}
	}
}

// stackFacts places main.Stacked's parameters as the register ABI does
// for (a int, ok bool, i8 int8, u16 uint16, i32 int32, p *T, s string)
// once the integer registers are taken: a in rax, the others on the
// stack from CFA+0, packed by their alignment.
type stackFacts struct{ facts }

func (stackFacts) Homes(f *debuginfo.Function) ([]goabi.Loc, []goabi.Loc, error) {
	st := func(off int64) goabi.Loc { return goabi.Loc{Stack: true, Off: off} }
	if f.Name == "main.Pair" {
		return []goabi.Loc{st(0)}, nil, nil
	}
	return []goabi.Loc{{Pieces: []goabi.Piece{{Reg: "rax", Size: 8}}}, st(0), st(1), st(2), st(4), st(8), st(16)},
		[]goabi.Loc{{Pieces: []goabi.Piece{{Reg: "rax", Size: 8}}}}, nil
}

// TestBPFStackParams: on the BPF runtime a Go parameter passed on the
// stack reads from the words above the stack pointer at the entry (the
// CALL's return address at word 0, CFA+off at byte 8+off), each kind as
// the kernel runtime prints it: integers narrowed to their bytes and
// sign, a bool's byte, a pointer's word and members through it, a
// string's two words; a register parameter stap cannot read as $var, or
// any of them without a word type to read through, prints "!" saying why.
func TestBPFStackParams(t *testing.T) {
	tBool := &debuginfo.Type{Kind: debuginfo.KindBool, Name: "bool", Size: 1}
	tI8 := &debuginfo.Type{Kind: debuginfo.KindInt, Name: "int8", Size: 1}
	tU16 := &debuginfo.Type{Kind: debuginfo.KindUint, Name: "uint16", Size: 2}
	tI32 := &debuginfo.Type{Kind: debuginfo.KindInt, Name: "int32", Size: 4}
	tT := &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "main.T", Size: 24, Fields: []debuginfo.Field{{Name: "n", Type: tInt}, {Name: "name", Type: tGoStr, Offset: 8}}}
	tPT := &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "*main.T", Size: 8, Elem: tT}
	f := &debuginfo.Function{Name: "main.Stacked", Lang: debuginfo.LangGo, Entry: 0x2000, End: 0x2100,
		Params: []debuginfo.Variable{{Name: "a", Type: tInt}, {Name: "ok", Type: tBool}, {Name: "i8", Type: tI8}, {Name: "u16", Type: tU16},
			{Name: "i32", Type: tI32}, {Name: "p", Type: tPT}, {Name: "s", Type: tGoStr}}}
	build := func(symbols bool, fields ...string) (*Plan, error) {
		req := spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: f.Name, Entry: true}}}
		for _, s := range fields {
			p, err := spec.ParsePath(s)
			if err != nil {
				t.Fatal(err)
			}
			req.Probes[0].Fields = append(req.Probes[0].Fields, p)
		}
		return Build(Inputs{Request: &req, Target: Target{Path: "/bin/x", Symbols: symbols}, Funcs: resolver{f.Name: f}, Go: stackFacts{}, Stap: stap.Version{Major: 4, Minor: 8}})
	}
	values := func(p *Plan) map[string]Value {
		out := map[string]Value{}
		for _, pr := range p.Probes {
			for _, fl := range pr.Fields {
				out[fl.Name] = fl.Value
			}
		}
		return out
	}
	sp := UReg{Num: 7}
	p, err := build(true)
	if err != nil {
		t.Fatal(err)
	}
	got := values(p)
	for name, want := range map[string]Value{
		"a":   Int{X: Var{Name: "a"}, Signed: true}, // described in the debug file: a $var
		"ok":  Int{X: Narrow{X: word(sp, 1), Size: 1}, Bool: true},
		"i8":  Int{X: Narrow{X: word(sp, 1), Size: 1, Signed: true, Byte: 1}, Signed: true},
		"u16": Int{X: Narrow{X: word(sp, 1), Size: 2, Byte: 2}},
		"i32": Int{X: Narrow{X: word(sp, 1), Size: 4, Signed: true, Byte: 4}, Signed: true},
		"p":   Ptr{X: word(sp, 2)},
		"s":   Bytes{Ptr: word(sp, 3), Len: word(sp, 4), Max: 64, Word: "uint64", WordModule: "/bin/x"},
	} {
		if !reflect.DeepEqual(got[name], want) {
			t.Errorf("%s = %#v, want %#v", name, got[name], want)
		}
	}

	// Through the pointer, with the same word reads (0 on a fault), each
	// printed only when the pointer is not nil.
	p, err = build(true, "p.name", "p.n", "s.len")
	if err != nil {
		t.Fatal(err)
	}
	got = values(p)
	name := NonNil{Ptr: word(sp, 2), X: Bytes{Ptr: word(word(sp, 2), 1), Len: word(word(sp, 2), 2), Max: 64, Word: "uint64", WordModule: "/bin/x"}}
	n := NonNil{Ptr: word(sp, 2), X: Int{X: word(word(sp, 2), 0), Signed: true}}
	if !reflect.DeepEqual(got["p.name"], name) || !reflect.DeepEqual(got["p.n"], n) || !reflect.DeepEqual(got["s.len"], Int{X: word(sp, 4), Signed: true}) {
		t.Errorf("paths read as %#v", got)
	}

	// With DWARF (no generated file) but no types to find a word in: a
	// register parameter whose location stap 4.8 cannot evaluate reads
	// from its ABI register (the probe is at the entry); a stack one
	// is "!" with the reason, and a path under such a value is refused
	// with it.
	p, err = build(false)
	if err != nil {
		t.Fatal(err)
	}
	got = values(p)
	if want := (Int{X: UReg{Num: 0}, Signed: true}); !reflect.DeepEqual(got["a"], want) {
		t.Errorf("a = %#v, want %#v", got["a"], want)
	}
	for name, why := range map[string]string{"i8": "passed on the stack", "s": "passed on the stack"} {
		if m, ok := got[name].(Missing); !ok || !strings.Contains(m.Why, why) {
			t.Errorf("%s = %#v, want \"!\" saying %q", name, got[name], why)
		}
	}
	if _, err := build(false, "p.n"); err == nil || !strings.Contains(err.Error(), "p.n: p cannot be read here: passed on the stack") {
		t.Errorf("p.n without a word type: %v", err)
	}
}

// TestBPFStackOnlyDescribed: a stripped binary's function whose only
// parameter is on the stack is still described in the generated debug
// file (a RegFunc without parameters), so that the file carries the
// uint64 its stack words and goroutine id are read through.
func TestBPFStackOnlyDescribed(t *testing.T) {
	tPair := &debuginfo.Type{Kind: debuginfo.KindArray, Name: "[2]int", Size: 16, Count: 2, Elem: tInt}
	f := &debuginfo.Function{Name: "main.Pair", Lang: debuginfo.LangGo, Entry: 0x3000, End: 0x3010, Params: []debuginfo.Variable{{Name: "a", Type: tPair}}}
	req := spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: f.Name}}}
	p, err := Build(Inputs{Request: &req, Target: Target{Path: "/bin/x", Symbols: true}, Funcs: resolver{f.Name: f}, Go: stackFacts{}, Stap: stap.Version{Major: 4, Minor: 8}})
	if err != nil {
		t.Fatal(err)
	}
	want := RegFunc{Name: f.Name, Entry: 0x3000, End: 0x3010}
	if len(p.RegFuncs) == 0 || !reflect.DeepEqual(p.RegFuncs[0], want) {
		t.Errorf("RegFuncs = %+v, want %+v first", p.RegFuncs, want)
	}
	a := IntArray{Count: 2, Signed: true, Elems: []Expr{word(UReg{Num: 7}, 1), word(UReg{Num: 7}, 2)}}
	if got := p.Probes[0].Fields[0].Value; !reflect.DeepEqual(got, a) {
		t.Errorf("a = %#v, want %#v", got, a)
	}
}
