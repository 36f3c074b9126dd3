package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
)

var (
	tInt   = &debuginfo.Type{Kind: debuginfo.KindInt, Name: "long int", GoName: "int", Size: 8}
	tU8    = &debuginfo.Type{Kind: debuginfo.KindUint, Name: "uint8", Size: 1}
	tGoStr = &debuginfo.Type{Kind: debuginfo.KindString, Name: "struct string", GoName: "string", Size: 16,
		Fields: []debuginfo.Field{{Name: "str", Type: &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "uint8*", Size: 8, Elem: tU8}}, {Name: "len", Type: tInt, Offset: 8}}}
	tChar = &debuginfo.Type{Kind: debuginfo.KindInt, Name: "char", Size: 1, Char: true}
	tCStr = &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "char*", Size: 8, Elem: tChar}
)

type resolver map[string]*debuginfo.Function

func (r resolver) Match(ps ...string) ([]*debuginfo.Function, error) {
	var out []*debuginfo.Function
	for _, p := range ps {
		if f, ok := r[p]; ok {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("not found")
	}
	return out, nil
}

type facts struct{}

func (facts) Homes(f *debuginfo.Function) ([]goabi.Loc, []goabi.Loc, error) {
	h := goabi.Loc{Pieces: []goabi.Piece{{Reg: "rax", Size: 8}, {Reg: "rbx", Off: 8, Size: 8}}}
	return []goabi.Loc{h}, []goabi.Loc{{Pieces: []goabi.Piece{{Reg: "rax", Size: 8}}}}, nil
}
func (facts) Rets(*debuginfo.Function) ([]uint64, error) { return []uint64{0x1000}, nil }
func (facts) GoidOffset() (int64, error)                 { return 152, nil }
func (facts) StackCheck(*debuginfo.Function) (StackCheck, bool) {
	return StackCheck{Guard: 16, Body: 0x2008, BodySP: 16}, true
}

var goStr = &debuginfo.Function{Name: "main.Str", Lang: debuginfo.LangGo,
	Params:  []debuginfo.Variable{{Name: "s", Type: tGoStr, Location: "reg rax", LocList: true}},
	Results: []debuginfo.Variable{{Name: "~r0", Type: tInt}}}
var cGreet = &debuginfo.Function{Name: "greet", Params: []debuginfo.Variable{{Name: "who", Type: tCStr}}}

func buildReq(t *testing.T, req spec.Request, ver stap.Version) (*Plan, error) {
	t.Helper()
	return Build(Inputs{Request: &req, Target: Target{Path: "/bin/x"}, Funcs: resolver{"main.Str": goStr, "greet": cGreet}, Go: facts{}, Stap: ver})
}

func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  spec.Request
		ver  stap.Version
		want string
	}{
		{"go return on stap 4.8", spec.Request{Probes: []spec.Probe{{Function: "main.Str", Return: true}}}, stap.Version{Major: 4, Minor: 8}, "stap 4.8 cannot place"},
		{"backtrace under bpf", spec.Request{Runtime: spec.RuntimeBPF, UserStack: true, Probes: []spec.Probe{{Function: "greet"}}}, stap.Version{}, "backtraces need the kernel runtime"},
		{"unknown param", spec.Request{Probes: []spec.Probe{{Function: "greet", Fields: []spec.Path{{Root: "nope"}}}}}, stap.Version{}, `no parameter "nope"`},
		{"unknown member", spec.Request{Probes: []spec.Probe{{Function: "main.Str", Fields: []spec.Path{{Root: "s", Steps: []spec.Step{{Field: "x"}}}}}}}, stap.Version{}, `no member "x"`},
		{"string filter on int", spec.Request{Probes: []spec.Probe{{Function: "main.Str"}}, Where: []spec.Filter{{Expr: spec.Predicate{Path: spec.Path{Root: "s", Steps: []spec.Step{{Field: "len"}}}, Op: spec.OpEq, IsString: true, Str: "x"}}}}, stap.Version{}, "not a string"},
		{"NUL in literal", spec.Request{Probes: []spec.Probe{{Function: "greet"}}, Where: []spec.Filter{{Expr: spec.Predicate{Path: spec.Path{Root: "who"}, Op: spec.OpEq, IsString: true, Str: "a\x00b"}}}}, stap.Version{}, "no NUL byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := buildReq(t, tc.req, tc.ver)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestGuruOnlyForGoReturns(t *testing.T) {
	p, err := buildReq(t, spec.Request{Probes: []spec.Probe{{Function: "main.Str"}, {Function: "greet", Return: true}}}, stap.Version{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Guru {
		t.Fatal("guru mode without a Go RET-site probe")
	}
	p, err = buildReq(t, spec.Request{Probes: []spec.Probe{{Function: "main.Str", Return: true}}}, stap.Version{Major: 5, Minor: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Guru || p.StapArgs[0] != "-g" {
		t.Fatalf("Go return without -g: %+v", p.StapArgs)
	}
	if got, want := p.Probes[len(p.Probes)-1].Points[0], (Point{Kind: PointAddress, Path: "/bin/x", Addr: 0x1000}); got != want {
		t.Errorf("RET point = %+v, want %+v", got, want)
	}
}

// TestSymbolsTarget: a binary without DWARF or symbols is probed by the
// symbols of a generated debug file: every point is named by one, no
// address probe and no guru mode remain, the environment is recorded, and
// line probes (which need a line table) are refused.
func TestSymbolsTarget(t *testing.T) {
	req := spec.Request{Probes: []spec.Probe{{Function: "main.Str", Entry: true, Return: true}}}
	goStr.Entry = 0x2000
	defer func() { goStr.Entry = 0 }()
	p, err := Build(Inputs{Request: &req, Target: Target{Path: "/bin/x", Symbols: true}, Funcs: resolver{"main.Str": goStr}, Go: facts{}, Stap: stap.Version{Major: 4, Minor: 8}})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Sites(); len(got) != 2 || got[0] != 0x1000 || got[1] != 0x2008 {
		t.Fatalf("sites %#x, want the RET and the body", got)
	}
	names := map[uint64]string{0x1000: "stapgen.pc.0x1000", 0x2008: "stapgen.pc.0x2008", 0x2000: "main.Str"}
	if err := p.UseSymbols(names, "SYSTEMTAP_DEBUGINFO_PATH=/c"); err != nil {
		t.Fatal(err)
	}
	for _, pr := range p.Probes {
		for _, pt := range pr.Points {
			if pt.Kind != PointSymbol || pt.Name != names[pt.Addr] {
				t.Errorf("%s point %+v", pr.Site, pt)
			}
		}
	}
	if p.Guru || len(p.StapArgs) != 0 || len(p.StapEnv) != 1 {
		t.Errorf("guru %v, args %v, env %v", p.Guru, p.StapArgs, p.StapEnv)
	}
	req = spec.Request{Probes: []spec.Probe{{Function: "main.go:10"}}}
	if _, err := Build(Inputs{Request: &req, Target: Target{Path: "/bin/x", Symbols: true, GoVersion: "go1.19"}, Funcs: resolver{}, Go: facts{}}); !errors.Is(err, ErrRefused) {
		t.Errorf("line probe on a binary without DWARF: %v", err)
	}
}

func TestCheckPath(t *testing.T) {
	for _, bad := range []string{"rel/path", "/a\"b", "/a\nb", "/a*b", ""} {
		if checkPath(bad) == nil {
			t.Errorf("checkPath(%q) accepted", bad)
		}
	}
}

func TestAlternatives(t *testing.T) {
	p, err := buildReq(t, spec.Request{Probes: []spec.Probe{{Function: "__lookup_hash|greet"}}}, stap.Version{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Probes[0].Function != "greet" {
		t.Errorf("picked %s", p.Probes[0].Function)
	}
}
