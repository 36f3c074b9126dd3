package plan

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/spec"
)

// C functions returning each kind of value, shaped like rfix's.
var (
	tMood   = &debuginfo.Type{Kind: debuginfo.KindEnum, Name: "enum mood", Size: 4, Enumerators: []debuginfo.Enumerator{{Name: "CALM", Value: 1}, {Name: "ANGRY", Value: 7}}}
	tBool   = &debuginfo.Type{Kind: debuginfo.KindBool, Name: "_Bool", Size: 1}
	tDouble = &debuginfo.Type{Kind: debuginfo.KindFloat, Name: "double", Size: 8}
	tCell   = &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "struct cell", Size: 24,
		Fields: []debuginfo.Field{{Name: "id", Type: tInt}, {Name: "label", Type: tCStr, Offset: 8}}}
	tPCell = &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "struct cell*", Size: 8, Elem: tCell}
	tULong = &debuginfo.Type{Kind: debuginfo.KindUint, Name: "long unsigned int", Size: 8}
	retFns = resolver{
		"r_enum":    {Name: "r_enum", Params: []debuginfo.Variable{{Name: "m", Type: tMood, Location: "reg rdi"}}, Return: tMood},
		"r_bool":    {Name: "r_bool", Params: []debuginfo.Variable{{Name: "b", Type: tBool, Location: "reg rdi"}}, Return: tBool},
		"r_double":  {Name: "r_double", Params: []debuginfo.Variable{{Name: "d", Type: tDouble, Location: "reg xmm0"}}, Return: tDouble},
		"r_str":     {Name: "r_str", Params: []debuginfo.Variable{{Name: "s", Type: tCStr, Location: "reg rdi"}}, Return: tCStr},
		"r_void":    {Name: "r_void", Params: []debuginfo.Variable{{Name: "k", Type: tInt, Location: "reg rdi"}}, Return: &debuginfo.Type{Kind: debuginfo.KindVoid, Name: "void"}},
		"r_ptr":     {Name: "r_ptr", Return: tPCell},
		"r_ulong":   {Name: "r_ulong", Return: tULong},
		"r_nodwarf": {Name: "r_nodwarf"},
		"main.Str":  goStr,
	}
)

func paths(t *testing.T, ps ...string) []spec.Path {
	t.Helper()
	var out []spec.Path
	for _, s := range ps {
		p, err := spec.ParsePath(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func buildRet(t *testing.T, rt spec.Runtime, fn string, entry bool, fields ...string) (*Plan, error) {
	t.Helper()
	req := spec.Request{Runtime: rt, Probes: []spec.Probe{{Function: fn, Entry: entry, Return: true, Fields: paths(t, fields...)}}}
	return Build(Inputs{Request: &req, Target: Target{Path: "/bin/x"}, Funcs: retFns, Go: facts{}})
}

// returnProbe is the plan's return handler.
func returnProbe(t *testing.T, p *Plan) Probe {
	t.Helper()
	for _, pr := range p.Probes {
		if pr.Site == event.SiteReturn {
			return pr
		}
	}
	t.Fatalf("no return probe in %+v", p.Probes)
	return Probe{}
}

// shape is a field as name:enc:value-kind, with "@" for entry values.
func shape(f Field) string {
	s := f.Name + ":" + string(f.Enc) + ":" + reflect.TypeOf(f.Value).Name()
	var x Expr
	switch v := f.Value.(type) {
	case Int:
		x = v.X
	case Float:
		x = v.X
	case Ptr:
		x = v.X
	case CString:
		x = v.Addr
	}
	if v, ok := x.(Var); ok && v.Entry {
		s += "@"
	}
	return s
}

func TestReturnValueKinds(t *testing.T) {
	for _, tc := range []struct {
		fn     string
		rt     spec.Runtime
		fields []string
		want   string
	}{
		{"r_enum", spec.RuntimeKernel, nil, "return:enum:Int"},
		{"r_enum", spec.RuntimeKernel, []string{"m"}, "return:enum:Int m:enum:Int@"},
		{"r_bool", spec.RuntimeKernel, []string{"b"}, "return:bool:Int b:bool:Int@"},
		{"r_double", spec.RuntimeKernel, []string{"d"}, "return:float:Float d:float:Float@"},
		{"r_str", spec.RuntimeKernel, []string{"s"}, "return:str:CString s:str:CString@"},
		{"r_void", spec.RuntimeKernel, nil, ""},
		{"r_void", spec.RuntimeKernel, []string{"k"}, "k:int:Int@"},
		{"r_ptr", spec.RuntimeKernel, nil, "return:ptr:Ptr"},
		{"r_ptr", spec.RuntimeKernel, []string{"return->id", "return->label"}, "return.id:int:Int return.label:str:CString"},
		{"r_ulong", spec.RuntimeKernel, nil, "return:uint:Int"},
		{"r_nodwarf", spec.RuntimeKernel, nil, "return:int:ReturnValue"},
		// What stap 4.8's BPF back end cannot read is marked, and the
		// script still runs.
		{"r_double", spec.RuntimeBPF, []string{"d"}, "return:int:Missing d:int:Missing"},
		// A 4-byte unsigned or enum return reads as rax's low half, an
		// entry value of one as its register's at the entry.
		{"r_enum", spec.RuntimeBPF, []string{"m"}, "return:enum:Int m:enum:Int"},
		{"r_str", spec.RuntimeBPF, []string{"s"}, "return:str:CString s:int:Missing"},
		{"r_bool", spec.RuntimeBPF, []string{"b"}, "return:bool:Int b:bool:Int@"},
	} {
		t.Run(tc.fn+"/"+string(tc.rt)+"/"+strings.Join(tc.fields, ","), func(t *testing.T) {
			p, err := buildRet(t, tc.rt, tc.fn, false, tc.fields...)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range returnProbe(t, p).Fields {
				got = append(got, shape(f))
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("fields %q, want %q", g, tc.want)
			}
		})
	}
	p, _ := buildRet(t, spec.RuntimeKernel, "r_enum", false)
	if f := returnProbe(t, p).Fields[0]; len(f.Enums) != 2 || f.Enums[1] != (event.Enumerator{Name: "ANGRY", Value: 7}) || f.Type != "enum mood" {
		t.Errorf("enum field %+v", f)
	}
}

// TestReturnRefusals: a field that cannot be read where it is asked for is
// refused at generation with the reason, never dropped.
func TestReturnRefusals(t *testing.T) {
	for _, tc := range []struct {
		fn     string
		entry  bool
		fields []string
		want   string
	}{
		{"r_void", false, []string{"return"}, "returns void"},
		{"r_nodwarf", false, []string{"return->x"}, "return type of r_nodwarf is unknown"},
		{"r_ptr", false, []string{"return->nope"}, `no member "nope"`},
		{"r_enum", false, []string{"nope"}, `no parameter "nope"`},
		{"main.Str", false, []string{"s"}, "a Go return cannot read"},
	} {
		t.Run(tc.fn+"/"+strings.Join(tc.fields, ","), func(t *testing.T) {
			_, err := buildRet(t, spec.RuntimeKernel, tc.fn, tc.entry, tc.fields...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	req := spec.Request{Probes: []spec.Probe{{Function: "r_ptr", Entry: true, Fields: paths(t, "return->id")}}}
	if _, err := Build(Inputs{Request: &req, Target: Target{Path: "/bin/x"}, Funcs: retFns}); err == nil || !strings.Contains(err.Error(), "add --return") {
		t.Errorf("return path without --return: %v", err)
	}
}
