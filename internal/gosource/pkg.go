package gosource

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// buildCtx selects the files a linux/amd64 build compiles; the binaries
// stapgen traces are amd64 (target refuses others).
var buildCtx = func() build.Context {
	c := build.Default
	c.GOOS, c.GOARCH, c.CgoEnabled = "linux", "amd64", true
	c.GOROOT, c.GOPATH = "", ""
	c.BuildTags, c.ToolTags, c.ReleaseTags = nil, nil, nil
	return c
}()

// pkg is the parsed source of one package: its top-level declarations,
// indexed by name, and per file the import names in scope.
type pkg struct {
	path, dir  string
	fset       *token.FileSet
	types      map[string]typeDecl
	consts     map[string]constDecl
	funcs      map[string]*ast.FuncDecl   // "F", "T.M" (receiver's base type)
	bodyless   map[string]bool            // functions declared without a body (assembly, linknamed)
	closures   map[string][]*ast.FuncType // a function's own literals, in source order
	wrapped    map[string]bool            // functions with a go or defer Go 1.17-1.21 wraps in a closure
	imports    map[*ast.File]map[string]string
	named      map[string]*typeCache
	originWhat string // where the source came from, for Signature.Origin
	// linknamed maps "pkg.F" to the local function a //go:linkname
	// directive of this package implements it with (runtime's time.Sleep).
	linknamed map[string]string
}

type typeDecl struct {
	spec *ast.TypeSpec
	file *ast.File
}

// specType is a declaration's type expression, nil for none.
func specType(s *ast.TypeSpec) ast.Expr {
	if s == nil {
		return nil
	}
	return s.Type
}

type constDecl struct {
	expr ast.Expr
	typ  ast.Expr
	iota int64
	file *ast.File
}

// parsePackage reads the non-test files of dir that a linux/amd64 build
// of the given release compiles. Function bodies are dropped after
// parsing: only declarations matter.
func parsePackage(path, dir string, releaseTags, buildTags []string) (*pkg, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	ctx := buildCtx
	ctx.ReleaseTags, ctx.BuildTags = releaseTags, buildTags
	p := &pkg{path: path, dir: dir, fset: token.NewFileSet(), types: map[string]typeDecl{}, consts: map[string]constDecl{},
		funcs: map[string]*ast.FuncDecl{}, imports: map[*ast.File]map[string]string{}, named: map[string]*typeCache{},
		linknamed: map[string]string{}, bodyless: map[string]bool{}, closures: map[string][]*ast.FuncType{}, wrapped: map[string]bool{}}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		if ok, err := ctx.MatchFile(dir, n); err != nil || !ok {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no Go files for linux/amd64", dir)
	}
	for _, n := range names {
		src, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(p.fset, filepath.Join(dir, n), src, parser.SkipObjectResolution|parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", n, err)
		}
		if f.Name.Name == "documentation" {
			continue
		}
		p.index(f)
	}
	return p, nil
}

func (p *pkg) index(f *ast.File) {
	imp := map[string]string{}
	for _, s := range f.Imports {
		path, err := strconv.Unquote(s.Path.Value)
		if err != nil {
			continue
		}
		name := path[strings.LastIndexByte(path, '/')+1:]
		if s.Name != nil {
			name = s.Name.Name
		}
		imp[name] = path
	}
	p.imports[f] = imp
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			// //go:linkname local remote
			if fs := strings.Fields(c.Text); len(fs) == 3 && fs[0] == "//go:linkname" {
				p.linknamed[fs[2]] = fs[1]
			}
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			key := d.Name.Name
			if d.Recv != nil {
				if len(d.Recv.List) != 1 {
					continue // invalid Go: the compiler would refuse it
				}
				key = recvBase(d.Recv.List[0].Type) + "." + key
			}
			if d.Body == nil {
				p.bodyless[key] = true
			}
			if d.Body != nil {
				p.closures[key] = funcLits(d.Body)
				if wrapsDeferGo(d.Body) {
					p.wrapped[key] = true
				}
			}
			d.Body = nil
			if _, dup := p.funcs[key]; !dup || key == "init" {
				p.funcs[key] = d
			}
		case *ast.GenDecl:
			p.indexGen(d, f)
			if d.Tok == token.VAR {
				// Literals in package-level initialisers are
				// "pkg.glob..funcN", numbered across the files in
				// the order the go command passes them (sorted).
				for _, s := range d.Specs {
					for _, v := range s.(*ast.ValueSpec).Values {
						p.closures["glob."] = append(p.closures["glob."], funcLitsIn(v)...)
					}
				}
			}
		}
	}
}

func (p *pkg) indexGen(d *ast.GenDecl, f *ast.File) {
	// A const spec without values repeats the previous spec's
	// expressions and type with its own iota.
	var values []ast.Expr
	var typ ast.Expr
	for i, s := range d.Specs {
		switch s := s.(type) {
		case *ast.TypeSpec:
			p.types[s.Name.Name] = typeDecl{spec: s, file: f}
		case *ast.ValueSpec:
			if d.Tok != token.CONST {
				continue
			}
			if len(s.Values) > 0 {
				values, typ = s.Values, s.Type
			}
			for j, n := range s.Names {
				c := constDecl{typ: typ, iota: int64(i), file: f}
				if j < len(values) {
					c.expr = values[j]
				}
				p.consts[n.Name] = c
			}
		}
	}
}

// recvBase is the base type name of a receiver: T for T, *T, T[K], *T[K].
func recvBase(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// releaseTags are the go1.N build tags a toolchain of minor version n
// satisfies.
func releaseTags(minor int) []string {
	if minor < 0 {
		minor = 99
	}
	var tags []string
	for i := 1; i <= minor; i++ {
		tags = append(tags, "go1."+strconv.Itoa(i))
	}
	return tags
}

// funcLits lists the function literals of a body that are not inside
// another literal, in source order: the compiler names them F.func1,
// F.func2, ... (literals nested in them are F.func1.1, not handled).
func funcLits(body *ast.BlockStmt) []*ast.FuncType { return funcLitsIn(body) }

func funcLitsIn(node ast.Node) []*ast.FuncType {
	var out []*ast.FuncType
	ast.Inspect(node, func(n ast.Node) bool {
		if fl, ok := n.(*ast.FuncLit); ok {
			out = append(out, fl.Type)
			return false
		}
		return true
	})
	return out
}

// wrapsDeferGo reports a go or defer statement (outside literals) that Go
// 1.17-1.21 compile into a closure of their own, numbered among the
// function's literals: any but a call of a literal or a function name
// without arguments (defer mu.Unlock(), go f(x)).
func wrapsDeferGo(body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		var call *ast.CallExpr
		switch x := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.DeferStmt:
			call = x.Call
		case *ast.GoStmt:
			call = x.Call
		default:
			return !found
		}
		switch call.Fun.(type) {
		case *ast.FuncLit, *ast.Ident:
			if len(call.Args) == 0 {
				return true
			}
		}
		found = true
		return false
	})
	return found
}
