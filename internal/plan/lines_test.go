package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/spec"
)

var (
	tPoint   = &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "struct point", Size: 8, Fields: []debuginfo.Field{{Name: "x", Type: tInt}}}
	tPointP  = &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "struct point*", Size: 8, Elem: tPoint}
	lineFunc = &debuginfo.Function{Name: "f", File: "/src/f.c", Line: 9, Entry: 0x1000, End: 0x1100}
)

// lineResolver is a DWARF index with one function, f, whose line 10 runs
// in f (0x1004) and in a copy inlined into g (0x2000, where n is gone),
// and whose line 12 has a struct held in a register.
type lineResolver struct{ resolver }

func (lineResolver) Lines(f *debuginfo.Function) ([]debuginfo.Line, error) {
	return []debuginfo.Line{
		{File: f.File, Line: 10, Addr: 0x1004, Vars: []debuginfo.Variable{{Name: "n", Type: tInt, Location: "reg rdi"}, {Name: "p", Type: tPointP, Location: "reg rsi"}}},
		{File: f.File, Line: 10, Addr: 0x2000, InlinedIn: "g", Vars: []debuginfo.Variable{{Name: "p", Type: tPointP, Location: "reg rbx"}}},
		{File: f.File, Line: 12, Addr: 0x1010, Vars: []debuginfo.Variable{{Name: "p", Type: tPointP, Location: "reg rsi"}, {Name: "s", Type: tPoint, Location: "reg rax"}}},
	}, nil
}

func (r lineResolver) LineAt(f *debuginfo.Function, n int) ([]debuginfo.Line, error) {
	ls, _ := r.Lines(f)
	var out []debuginfo.Line
	for _, l := range ls {
		if l.Line == n {
			out = append(out, l)
		}
	}
	return out, nil
}

func (lineResolver) IsClone(*debuginfo.Function) bool { return false }

func (r lineResolver) FunctionsAtLine(file string, n int) (debuginfo.LineFunctions, error) {
	if strings.HasSuffix(lineFunc.File, "/"+file) && (n == 10 || n == 12) {
		return debuginfo.LineFunctions{Funcs: []*debuginfo.Function{lineFunc}, Coded: true}, nil
	}
	return debuginfo.LineFunctions{Near: []int{10, 12}}, nil
}

func buildLine(t *testing.T, probe string, fields ...string) (*Plan, error) {
	t.Helper()
	pr := spec.Probe{Function: probe}
	for _, f := range fields {
		p, err := spec.ParsePath(f)
		if err != nil {
			t.Fatal(err)
		}
		pr.Fields = append(pr.Fields, p)
	}
	return Build(Inputs{Request: &spec.Request{Probes: []spec.Probe{pr}}, Target: Target{Path: "/bin/x"},
		Funcs: lineResolver{resolver{"f": lineFunc}}})
}

func TestLineProbes(t *testing.T) {
	// Every variable readable at all of a line's sites prints, typed; one
	// missing at a site prints "!" and says where.
	p, err := buildLine(t, "f@f.c:10")
	if err != nil {
		t.Fatal(err)
	}
	pr := p.Probes[0]
	if pt := pr.Points[0]; pt.Kind != PointStatement || pt.Name != "f@/src/f.c:10" || pt.Path != "/bin/x" {
		t.Errorf("point %+v", pt)
	}
	if m, ok := pr.Fields[0].Value.(Missing); len(pr.Fields) < 2 || pr.Fields[0].Name != "n" || !ok || !strings.Contains(m.Why, "inlined into g") || pr.Fields[1].Name != "p" {
		t.Errorf("fields %+v", pr.Fields)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "inlined into g") {
		t.Errorf("notes %q", p.Notes)
	}
	// A member chain of a pointer in scope.
	p, err = buildLine(t, "f@/src/f.c:12", "p->x")
	if err != nil || len(p.Probes[0].Fields) != 1 || p.Probes[0].Fields[0].Type != "int" {
		t.Errorf("p->x: %v %+v", err, p)
	}
	// FILE:LINE finds f.
	p, err = buildLine(t, "f.c:12")
	if err != nil || p.Probes[0].Points[0].Name != "f@/src/f.c:12" {
		t.Errorf("f.c:12: %v", err)
	}

	for _, tc := range []struct {
		probe, field, msg, hint string
	}{
		{"f@f.c:11", "", "no probe-able line 11", "nearest probe-able lines: 10 or 12"},
		{"f@g.c:10", "", "f is not in g.c", "it is in /src/f.c"},
		{"f@f.c:10", "n", "n has no location at 0x2000, in the copy inlined into g", "in scope at line 10: n, p"},
		{"f@f.c:10", "q", `no variable "q"`, "in scope at line 10: n, p"},
		{"f@f.c:12", "s.x", "held in register rax", "in scope at line 12: p, s"},
		{"f.c:11", "", "no code has line 11 of f.c", "nearest lines with code: 10 or 12"},
	} {
		var fields []string
		if tc.field != "" {
			fields = []string{tc.field}
		}
		_, err := buildLine(t, tc.probe, fields...)
		var le *LineError
		if !errors.As(err, &le) || !errors.Is(err, ErrRefused) || !strings.Contains(le.Msg, tc.msg) || !strings.Contains(le.Hint, tc.hint) {
			t.Errorf("%s %s: %v (hint %q)", tc.probe, tc.field, err, func() string {
				if le != nil {
					return le.Hint
				}
				return ""
			}())
		}
	}
}
