package debuginfo

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// sourceFuncLines parses the fixture's source and returns the line of the
// func keyword of each declared function, by the name stap and the
// symbol table give it ("main.(*Rect).Area", "main.Rect.Scale"; generic
// functions by their bare name).
func sourceFuncLines(t *testing.T) map[string]int {
	t.Helper()
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, testenv.GoSource("main.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, d := range file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		name := "main." + fd.Name.Name
		if fd.Recv != nil {
			switch rt := fd.Recv.List[0].Type.(type) {
			case *ast.StarExpr:
				name = fmt.Sprintf("main.(*%s).%s", rt.X.(*ast.Ident).Name, fd.Name.Name)
			case *ast.Ident:
				name = fmt.Sprintf("main.%s.%s", rt.Name, fd.Name.Name)
			}
		}
		out[name] = fset.Position(fd.Type.Func).Line
	}
	return out
}

// TestGoDeclLines: each declared function of the fixture is at the line
// of its func keyword in the source, built by the host's Go (which emits
// DW_AT_decl_line) and by Debian's Go 1.19 (which does not: the line
// comes from the line table).
func TestGoDeclLines(t *testing.T) {
	want := sourceFuncLines(t)
	for _, tc := range []struct{ name, goCmd string }{{"host", "go"}, {"go1.19", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			goCmd := tc.goCmd
			if goCmd == "" {
				goCmd = testenv.Go119(t)
			}
			bin := testenv.GoFixtureWith(t, goCmd, testenv.GoDefault)
			ix := openIndex(t, bin)
			checked := 0
			for name, line := range want {
				pattern := name
				if name == "main.Sum" {
					pattern = "main.Sum[*" // one instance per shape
				}
				fns, err := ix.Match(pattern)
				if err != nil {
					if name == "main.main" || name == "main.sequence" || name == "main.load" {
						t.Errorf("%s: %v", name, err)
					}
					continue // inlined away
				}
				for _, f := range fns {
					checked++
					if f.File != testenv.GoSource("main.go") || f.Line != line {
						t.Errorf("%s: at %s:%d, the source declares it at line %d", f.Name, f.File, f.Line, line)
					}
				}
			}
			if checked < 25 {
				t.Errorf("only %d functions checked", checked)
			}
		})
	}
}

// TestGo119LinesAgainstStap: with Go 1.19's DWARF, every main.* function
// is at the file and line stap -L prints for it.
func TestGo119LinesAgainstStap(t *testing.T) {
	bin := testenv.GoFixtureWith(t, testenv.Go119(t), testenv.GoDefault)
	stap := stapList(t, buildTree(t, "", ""), fmt.Sprintf("process(%q).function(\"main.*\")", bin))
	ix := openIndex(t, bin)
	fns, err := ix.Match("main.*")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*Function{}
	for _, f := range fns {
		byName[f.Name] = f
	}
	for _, s := range stap {
		f := byName[s.Name]
		if f == nil {
			t.Errorf("%s: listed by stap, missing", s.Name)
			continue
		}
		if f.File != s.File || fmt.Sprint(f.Line) != s.Line {
			t.Errorf("%s: at %s:%d, stap says %s:%s", f.Name, f.File, f.Line, s.File, s.Line)
		}
	}
	if len(stap) < 25 {
		t.Errorf("stap listed only %d functions", len(stap))
	}
}
