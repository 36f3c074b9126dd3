package plan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
)

var (
	tI32  = &debuginfo.Type{Kind: debuginfo.KindInt, Name: "int", Size: 4}
	tVoid = &debuginfo.Type{Kind: debuginfo.KindVoid, Name: "void"}
	tItem = &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "struct item", Size: 16,
		Fields: []debuginfo.Field{{Name: "id", Type: tInt}, {Name: "name", Type: tCStr, Offset: 8}}}
	tItemP = &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "struct item*", Size: 8, Elem: tItem}

	cOpen = &debuginfo.Function{Name: "open_file", Return: tI32, Params: []debuginfo.Variable{
		{Name: "path", Type: tCStr}, {Name: "flags", Type: tI32}, {Name: "mode", Type: tI32}}}
	cClose = &debuginfo.Function{Name: "close_file", Return: tVoid, Params: []debuginfo.Variable{{Name: "fd", Type: tI32}}}
	cFind  = &debuginfo.Function{Name: "find_item", Return: tItemP, Params: []debuginfo.Variable{{Name: "key", Type: tInt}}}
)

// condText spells a plan condition for comparison: Go types, not stap.
func condText(c Cond) string {
	parts := func(cs []Cond) string {
		var out []string
		for _, c := range cs {
			out = append(out, condText(c))
		}
		return strings.Join(out, ", ")
	}
	switch c := c.(type) {
	case nil:
		return "-"
	case And:
		return "And[" + parts(c) + "]"
	case Or:
		return "Or[" + parts(c) + "]"
	case Not:
		return "Not(" + condText(c.X) + ")"
	case Compare:
		return fmt.Sprintf("%s %s %d", exprText(c.X), c.Op, c.N)
	case Mask:
		return fmt.Sprintf("(%s & %d) %s %d", exprText(c.X), c.M, c.Op, c.N)
	case StrEq:
		op := "=="
		if c.Not {
			op = "!="
		}
		return fmt.Sprintf("str(%s) %s %q", exprText(c.Ptr), op, c.Lit)
	}
	return fmt.Sprintf("%T", c)
}

func exprText(e Expr) string {
	if r, ok := e.(Reg); ok {
		return "%" + r.Name
	}
	if v, ok := e.(Var); ok {
		s := v.Name
		for _, st := range v.Steps {
			s += "->" + st.Member
		}
		if v.Entry {
			s = "@entry(" + s + ")"
		}
		return s
	}
	return fmt.Sprintf("%T", e)
}

func filterReq(t *testing.T, probes []spec.Probe, where ...string) spec.Request {
	t.Helper()
	req := spec.Request{Probes: probes}
	for _, w := range where {
		f, err := spec.ParseFilter(w)
		if err != nil {
			t.Fatal(err)
		}
		req.Where = append(req.Where, f)
	}
	return req
}

func cFilterBuild(t *testing.T, req spec.Request) (*Plan, error) {
	t.Helper()
	return Build(Inputs{Request: &req, Target: Target{Path: "/bin/x"}, Funcs: resolver{"open_file": cOpen, "close_file": cClose, "find_item": cFind, "main.Str": goStr}, Go: facts{}, Stap: stap.Version{Major: 5, Minor: 1}})
}

// TestFilterConditions: each filter form becomes its typed condition at
// the site that can test it: return values at the return, parameters at
// the entry (and at a C return, from stap's entry snapshot), per-function
// filters on their functions only.
func TestFilterConditions(t *testing.T) {
	open := spec.Probe{Function: "open_file"}
	openRet := spec.Probe{Function: "open_file", Entry: true, Return: true}
	for _, tc := range []struct {
		name   string
		probes []spec.Probe
		where  []string
		want   []string // FUNCTION SITE: condition, per probe
	}{
		{"or", []spec.Probe{open}, []string{`flags == 1 || mode > 2`},
			[]string{"open_file entry: And[Or[flags == 1, mode > 2]]"}},
		{"not and mask", []spec.Probe{open}, []string{`!(flags & 0x40) && (mode & 3) == 2`},
			[]string{"open_file entry: And[And[Not((flags & 64) != 0), (mode & 3) == 2]]"}},
		{"two flags and", []spec.Probe{open}, []string{`flags`, `!path`},
			[]string{"open_file entry: And[flags != 0, Not(path != 0)]"}},
		{"string", []spec.Probe{open}, []string{`path == "/a" || path != "b"`},
			[]string{`open_file entry: And[Or[str(path) == "/a", str(path) != "b"]]`}},
		{"return only at return", []spec.Probe{openRet}, []string{`return < 0`},
			[]string{"open_file entry: -", "open_file return: And[return < 0]"}},
		{"entry and return", []spec.Probe{openRet}, []string{`flags & 1`, `return < 0 || mode == 2`},
			[]string{"open_file entry: And[(flags & 1) != 0]", "open_file return: And[(@entry(flags) & 1) != 0, Or[return < 0, @entry(mode) == 2]]"}},
		{"return member", []spec.Probe{{Function: "find_item", Return: true}}, []string{`return->id != 0`},
			[]string{"find_item return: And[return->id != 0]"}},
		{"per function", []spec.Probe{open, {Function: "close_file"}}, []string{`open_file { flags == 1 }`, `close_file { fd > 2 }`},
			[]string{"open_file entry: And[flags == 1]", "close_file entry: And[fd > 2]"}},
		{"per function glob", []spec.Probe{open, {Function: "close_file"}}, []string{`*_file { !(flags & 2) }`, `close* { fd }`},
			[]string{"open_file entry: And[Not((flags & 2) != 0)]"}},
		{"go result at RET", []spec.Probe{{Function: "main.Str", Entry: true, Return: true}}, []string{`s.len > 1`, `return == 7 || ~r0 < 0`},
			[]string{"main.Str entry: And[%rbx > 1]", "main.Str return: And[Or[%rax == 7, %rax < 0]]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := filterReq(t, tc.probes, tc.where...)
			if tc.name == "per function glob" {
				// *_file also matches close_file, which has no flags.
				if _, err := cFilterBuild(t, req); err == nil || !strings.Contains(err.Error(), `close_file has no parameter or result "flags"`) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			p, err := cFilterBuild(t, req)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, pr := range p.Probes {
				got = append(got, fmt.Sprintf("%s %s: %s", pr.Function, pr.Site, condText(pr.Cond)))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			for _, pr := range p.Probes {
				if pr.Site == event.SiteReturn && pr.Lang == debuginfo.LangGo && pr.Check != strings.Contains(tc.name, "go") {
					t.Errorf("Go return Check = %v", pr.Check)
				}
			}
		})
	}
}

// TestFilterRefusals: what cannot be tested where it is asked is refused,
// saying why and what to write instead.
func TestFilterRefusals(t *testing.T) {
	open := spec.Probe{Function: "open_file"}
	for _, tc := range []struct {
		name    string
		probes  []spec.Probe
		runtime spec.Runtime
		where   []string
		want    string
	}{
		{"global on a function lacking it", []spec.Probe{open, {Function: "close_file"}}, "", []string{`flags & 1`},
			`close_file has no parameter or result "flags" here (it has fd); to filter only some of the functions, write --where 'FUNCTION { CONDITION }'`},
		{"similar names", []spec.Probe{open}, "", []string{`flag == 1`}, `open_file has no parameter or result "flag" here (it has path, flags, mode)`},
		{"return without --return", []spec.Probe{open}, "", []string{`return < 0`}, "names the return value, which is known at the return: add --return"},
		{"void return", []spec.Probe{{Function: "close_file", Return: true}}, "", []string{`return == 0`}, "close_file returns void"},
		{"per function, no such function", []spec.Probe{open}, "", []string{`opne_file { flags == 1 }`}, "no probed function is opne_file (probed: open_file)"},
		{"string on int", []spec.Probe{open}, "", []string{`flags == "x"`}, "flags is a int, not a string"},
		{"number on struct", []spec.Probe{{Function: "find_item", Return: true}}, "", []string{`return->name == 3 || return == 0`}, ""},
		{"mask on string", []spec.Probe{{Function: "main.Str"}}, "", []string{`s & 1`}, "s is a struct string; compare numbers only with numeric values"},
		{"string under bpf", []spec.Probe{open}, spec.RuntimeBPF, []string{`!(path == "x")`}, "string filters need the kernel runtime"},
		{"go mixes result and parameter", []spec.Probe{{Function: "main.Str", Entry: true, Return: true}}, "", []string{`~r0 == 1 || s.len == 2`}, "which a Go return cannot read"},
		{"go parameter filter on return only", []spec.Probe{{Function: "main.Str", Return: true}}, "", []string{`s.len == 2`}, "add --entry"},
		{"go result without return", []spec.Probe{{Function: "main.Str"}}, "", []string{`~r0 == 1`}, "add --return"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := filterReq(t, tc.probes, tc.where...)
			req.Runtime = tc.runtime
			_, err := cFilterBuild(t, req)
			if tc.want == "" {
				// A pointer compares as a number: accepted.
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant %q", err, tc.want)
			}
		})
	}
}
