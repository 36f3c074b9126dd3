package debuginfo

import (
	"debug/dwarf"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// dwarfResults walks the DWARF with debug/dwarf alone and returns, for
// every top-level subprogram whose result children repeat a name, its
// results once each in first-seen order as "name:type" (the type's
// DW_AT_name, Go's spelling).
func dwarfResults(t *testing.T, path string) map[string][]string {
	t.Helper()
	d := testenv.DWARF(t, path)
	typeName := func(off dwarf.Offset) string {
		r := d.Reader()
		r.Seek(off)
		e, err := r.Next()
		if err != nil || e == nil {
			return "?"
		}
		n, _ := e.Val(dwarf.AttrName).(string)
		return n
	}
	out := map[string][]string{}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e == nil {
			break
		}
		if e.Tag == dwarf.TagCompileUnit {
			continue
		}
		if e.Tag != dwarf.TagSubprogram || !e.Children || e.Val(dwarf.AttrLowpc) == nil {
			if e.Children {
				r.SkipChildren()
			}
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		var rs []string
		seen := map[string]bool{}
		dup := false
		for {
			c, err := r.Next()
			if err != nil || c == nil || c.Tag == 0 {
				break
			}
			if c.Children {
				r.SkipChildren()
			}
			if vp, _ := c.Val(dwarf.AttrVarParam).(bool); c.Tag != dwarf.TagFormalParameter || !vp {
				continue
			}
			n, _ := c.Val(dwarf.AttrName).(string)
			if seen[n] {
				dup = true
				continue
			}
			seen[n] = true
			ty, _ := c.Val(dwarf.AttrType).(dwarf.Offset)
			rs = append(rs, n+":"+typeName(ty))
		}
		if dup {
			out[name] = rs
		}
	}
	return out
}

// sourceResultCount parses the toolchain's source of the function named
// sym ("internal/poll.(*FD).Write") and counts its results, or -1 when
// the name is not a plain function or method of a standard package.
func sourceResultCount(t *testing.T, goroot, sym string) int {
	slash := strings.LastIndex(sym, "/")
	dot := strings.Index(sym[slash+1:], ".")
	if dot < 0 || strings.ContainsAny(sym, "[") {
		return -1
	}
	pkg, rest := sym[:slash+1+dot], sym[slash+2+dot:]
	recv, fn := "", rest
	if i := strings.LastIndex(rest, "."); i >= 0 {
		recv, fn = strings.Trim(rest[:i], "(*)"), rest[i+1:]
	}
	dir := filepath.Join(goroot, "src", pkg)
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range file.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Name.Name != fn {
				continue
			}
			got := ""
			if fd.Recv != nil {
				ty := fd.Recv.List[0].Type
				if st, ok := ty.(*ast.StarExpr); ok {
					ty = st.X
				}
				if id, ok := ty.(*ast.Ident); ok {
					got = id.Name
				}
			}
			if got != recv {
				continue
			}
			n := 0
			if fd.Type.Results != nil {
				for _, r := range fd.Type.Results.List {
					n += max(1, len(r.Names))
				}
			}
			return n
		}
	}
	return -1
}

// TestGoResultsOnce: Go's compiler emits the results of some functions
// twice (golang/go#61357); each result must come once, as debug/dwarf
// reads them and as many as the function's source declares, in the
// fixture built by Go 1.19 and by the host's Go.
func TestGoResultsOnce(t *testing.T) {
	for _, tc := range []struct{ name, goCmd string }{{"host", "go"}, {"go1.19", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			goCmd := tc.goCmd
			if goCmd == "" {
				goCmd = testenv.Go119(t)
			}
			out, err := exec.Command(goCmd, "env", "GOROOT").Output()
			if err != nil {
				t.Fatal(err)
			}
			goroot := strings.TrimSpace(string(out))
			bin := testenv.GoFixtureWith(t, goCmd, testenv.GoDefault)
			want := dwarfResults(t, bin)
			if _, ok := want["internal/poll.(*FD).Write"]; !ok {
				t.Fatalf("no duplicated results in internal/poll.(*FD).Write: the case is not exercised (%d others)", len(want))
			}
			ix := openIndex(t, bin)
			fromSource := 0
			for name, rs := range want {
				fns, err := ix.Lookup(name)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				var got []string
				for _, r := range fns[0].Results {
					got = append(got, r.Name+":"+r.Type.GoName)
				}
				if strings.Join(got, " ") != strings.Join(rs, " ") {
					t.Errorf("%s: results %q, debug/dwarf (each once) %q", name, got, rs)
				}
				if n := sourceResultCount(t, goroot, name); n >= 0 {
					fromSource++
					if len(fns[0].Results) != n {
						t.Errorf("%s: %d results, its source in %s declares %d", name, len(fns[0].Results), goroot, n)
					}
				}
			}
			if fromSource < 3 {
				t.Errorf("only %d of %d functions checked against their source", fromSource, len(want))
			}
			t.Logf("%d functions with repeated results, %d checked against the source", len(want), fromSource)
		})
	}
}
