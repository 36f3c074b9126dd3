package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/spec"
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

func (facts) Homes(f *debuginfo.Function) ([]Home, []Home, error) {
	h := Home{Pieces: []Piece{{Reg: "rax", Size: 8}, {Reg: "rbx", Off: 8, Size: 8}}}
	return []Home{h}, []Home{{Pieces: []Piece{{Reg: "rax", Size: 8}}}}, nil
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

func buildReq(t *testing.T, req spec.Request, ver Version) (*Plan, error) {
	t.Helper()
	return Build(Inputs{Request: &req, Target: Target{Path: "/bin/x"}, Funcs: resolver{"main.Str": goStr, "greet": cGreet}, Go: facts{}, Stap: ver})
}

func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  spec.Request
		ver  Version
		want string
	}{
		{"go return on stap 4.8", spec.Request{Probes: []spec.Probe{{Function: "main.Str", Return: true}}}, Version{4, 8}, "stap 4.8 cannot place"},
		{"go return under bpf", spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "main.Str", Return: true}}}, Version{}, "BPF runtime lacks"},
		{"backtrace under bpf", spec.Request{Runtime: spec.RuntimeBPF, UserStack: true, Probes: []spec.Probe{{Function: "greet"}}}, Version{}, "backtraces need the kernel runtime"},
		{"unknown param", spec.Request{Probes: []spec.Probe{{Function: "greet", Fields: []spec.Path{{Root: "nope"}}}}}, Version{}, `no parameter "nope"`},
		{"unknown member", spec.Request{Probes: []spec.Probe{{Function: "main.Str", Fields: []spec.Path{{Root: "s", Steps: []spec.Step{{Field: "x"}}}}}}}, Version{}, `no member "x"`},
		{"string filter on int", spec.Request{Probes: []spec.Probe{{Function: "main.Str"}}, Where: []spec.Predicate{{Path: spec.Path{Root: "s", Steps: []spec.Step{{Field: "len"}}}, Op: spec.OpEq, IsString: true, Str: "x"}}}, Version{}, "not a string"},
		{"NUL in literal", spec.Request{Probes: []spec.Probe{{Function: "greet"}}, Where: []spec.Predicate{{Path: spec.Path{Root: "who"}, Op: spec.OpEq, IsString: true, Str: "a\x00b"}}}, Version{}, "no NUL byte"},
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
	p, err := buildReq(t, spec.Request{Probes: []spec.Probe{{Function: "main.Str"}, {Function: "greet", Return: true}}}, Version{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Guru {
		t.Fatal("guru mode without a Go RET-site probe")
	}
	p, err = buildReq(t, spec.Request{Probes: []spec.Probe{{Function: "main.Str", Return: true}}}, Version{5, 1})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Guru || p.StapArgs[0] != "-g" {
		t.Fatalf("Go return without -g: %+v", p.StapArgs)
	}
	if got := p.Probes[len(p.Probes)-1].Points[0]; got != `process("/bin/x").statement(0x1000)` {
		t.Errorf("RET point = %s", got)
	}
}

// TestUserTextCannotInject: whatever a filter literal holds, it reaches the
// script as one stap string literal with no quote, backslash-letter, "%{"
// or newline that stap could read as code.
func TestUserTextCannotInject(t *testing.T) {
	evil := []string{
		`"); system("id`, "x\n} probe begin { system(\"id\") }", `%{ panic(); %}`, `\`, `\"`, "\x7f\xff", `a" . "b`,
	}
	for _, s := range evil {
		p, err := buildReq(t, spec.Request{Probes: []spec.Probe{{Function: "greet"}, {Function: "main.Str"}},
			Where: []spec.Predicate{{Path: spec.Path{Root: "who"}, Op: spec.OpEq, IsString: true, Str: s}}}, Version{})
		if err != nil {
			// main.Str has no "who": filters apply per function.
			if !strings.Contains(err.Error(), `no parameter "who"`) {
				t.Fatal(err)
			}
			p, err = buildReq(t, spec.Request{Probes: []spec.Probe{{Function: "greet"}},
				Where: []spec.Predicate{{Path: spec.Path{Root: "who"}, Op: spec.OpEq, IsString: true, Str: s}}}, Version{})
			if err != nil {
				t.Fatal(err)
			}
		}
		cond := p.Probes[0].Cond
		lit := cond[strings.Index(cond, `== "`)+3 : len(cond)-1]
		if !strings.HasPrefix(lit, `"`) || !strings.HasSuffix(lit, `"`) {
			t.Fatalf("literal not quoted: %s", cond)
		}
		body := lit[1 : len(lit)-1]
		if strings.ContainsAny(body, "\"\n\r%") {
			t.Errorf("literal for %q carries a raw quote, newline or %%: %s", s, lit)
		}
		for i := 0; i < len(body); i++ {
			if body[i] == '\\' && !(i+3 < len(body) && body[i+1] >= '0' && body[i+1] <= '3') {
				t.Errorf("literal for %q has a non-octal escape: %s", s, lit)
			}
		}
		if p.Guru {
			t.Errorf("user text switched on guru mode")
		}
	}
}

func TestStapString(t *testing.T) {
	for in, want := range map[string]string{
		"abc":      `"abc"`,
		`a"b`:      `"a\042b"`,
		"a\nb":     `"a\012b"`,
		`%{x%}`:    `"\045{x\045}"`,
		"\xff\\":   `"\377\134"`,
		"overlay ": `"overlay "`,
	} {
		if got := stapString(in); got != want {
			t.Errorf("stapString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestProbeNameEscapesGlobs(t *testing.T) {
	if got := probeName("main.(*T[go.shape.int]).M?"); got != `main.(\*T\[go.shape.int\]).M\?` {
		t.Errorf("probeName = %s", got)
	}
	for _, bad := range []string{"rel/path", "/a\"b", "/a\nb", "/a*b", ""} {
		if checkPath(bad) == nil {
			t.Errorf("checkPath(%q) accepted", bad)
		}
	}
}

func TestAlternatives(t *testing.T) {
	p, err := buildReq(t, spec.Request{Probes: []spec.Probe{{Function: "__lookup_hash|greet"}}}, Version{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Probes[0].Function != "greet" {
		t.Errorf("picked %s", p.Probes[0].Function)
	}
}

func TestNarrow(t *testing.T) {
	if got := narrow("R", 1, true); got != "(((R & 0xff) ^ 0x80) - 0x80)" {
		t.Errorf("signed narrow = %s", got)
	}
	if got := narrow("R", 4, false); got != "(R & 0xffffffff)" {
		t.Errorf("unsigned narrow = %s", got)
	}
}
