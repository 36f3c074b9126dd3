package gosource

import (
	"debug/buildinfo"
	"errors"
	"fmt"
	"go/ast"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/stapgen/stapgen/internal/debuginfo"
)

// Resolver gives the functions of one Go binary their types from source.
// It caches parsed packages; its methods are safe for concurrent use.
type Resolver struct {
	loc  *locator
	conv *converter

	tagsOnce sync.Once
	tags     []string

	// query serialises Func: conversions fill the packages' type caches.
	query sync.Mutex

	mu     sync.Mutex
	pkgs   map[string]*pkg
	errs   map[string]error
	sigErr error
	sigFT  *ast.FuncType
}

// Signature is a function's parameters (receiver first) and results,
// and where they came from.
type Signature struct {
	Func    string
	Params  []debuginfo.Variable
	Results []debuginfo.Variable
	// Origin is what show prints as the types' source: "--signature",
	// "Go 1.19 source /usr/share/go-1.19/src/syscall/syscall_linux.go:1029".
	Origin string
	// Assembly is set for a function declared without a body that no
	// //go:linkname provides: it is written in assembly, takes every
	// argument on the stack (goabi.Options{ABI0: true}) and its
	// declared argument size need not be rounded (TEXT ·f(SB),0,$0-20).
	Assembly bool
}

// New returns a resolver for a binary with build info bi (nil when the
// binary has none: then only the main package via --source and
// --signature work).
func New(bi *buildinfo.BuildInfo, opts Options) *Resolver {
	r := &Resolver{pkgs: map[string]*pkg{}, errs: map[string]error{}}
	r.loc = &locator{opts: opts, bi: bi}
	if bi != nil {
		r.loc.goVersion = bi.GoVersion
	}
	r.conv = &converter{names: runtimeNames(r.loc.goVersion), load: r.load}
	if opts.Signature != "" {
		r.sigFT, r.sigErr = parseFuncType(opts.Signature)
	}
	return r
}

// Open reads the build info of the binary at path.
func Open(path string, opts Options) (*Resolver, error) {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: no Go build info: %w", path, err)
	}
	return New(bi, opts), nil
}

// GoVersion is the toolchain that built the binary ("go1.19.8").
func (r *Resolver) GoVersion() string { return r.loc.goVersion }

// NoSourceError means no source gave a function's types; Hint is what
// the user can install or pass.
type NoSourceError struct {
	Func, Package string
	Tried         []string
	Hint          string
}

func (e *NoSourceError) Error() string {
	msg := fmt.Sprintf("%s: no source for package %s", e.Func, e.Package)
	if len(e.Tried) > 0 {
		msg += " (looked in " + strings.Join(e.Tried, ", ") + ")"
	}
	return msg + "; " + e.Hint
}

// NotInSourceError means the package's source was found but does not
// declare the function (another version of the package).
type NotInSourceError struct {
	Func, Dir string
}

func (e *NotInSourceError) Error() string {
	return fmt.Sprintf("%s: not declared in %s (source of another version?)", e.Func, e.Dir)
}

// Func returns the signature of the function the function table names
// name: from --signature when given, else from source.
func (r *Resolver) Func(name string) (*Signature, error) {
	if r.sigErr != nil {
		return nil, r.sigErr
	}
	r.query.Lock()
	defer r.query.Unlock()
	fn, err := parseFuncName(name)
	if r.sigFT != nil {
		return r.fromSignature(name, fn, err)
	}
	if err != nil {
		return nil, err
	}
	p, err := r.load(fn.pkg)
	if err != nil {
		var ns *NoSourceError
		if errors.As(err, &ns) {
			ns.Func = name
		}
		return nil, err
	}
	return r.fromSource(name, fn, p)
}

func (r *Resolver) fromSignature(name string, fn funcName, nameErr error) (*Signature, error) {
	var p *pkg
	if nameErr == nil {
		p, _ = r.load(fn.pkg) // resolves the package's own type names when its source is here
	}
	s := scope{c: r.conv, p: p}
	var recv *debuginfo.Variable
	if nameErr == nil {
		if v, ok := r.receiver(name, fn, p); ok {
			recv = v
		}
	}
	params, results := s.variables(recv, r.sigFT)
	return &Signature{Func: name, Params: params, Results: results, Origin: "--signature"}, nil
}

// receiver resolves a method's receiver from its name: "(*T).M" or "T.M".
func (r *Resolver) receiver(name string, fn funcName, p *pkg) (*debuginfo.Variable, bool) {
	recv, ptr := fn.recv, fn.ptrRecv
	method := fn.name
	if recv == "" && fn.rest != "" {
		recv, method, _ = strings.Cut(fn.rest, ".")
		if p == nil || p.types[recv].spec == nil {
			return nil, false
		}
	}
	if recv == "" {
		return nil, false
	}
	rname := "~p0"
	if p != nil {
		// The source's receiver name, as DWARF has it.
		if d, ok := p.funcs[recv+"."+method]; ok && d.Recv != nil && len(d.Recv.List) == 1 && len(d.Recv.List[0].Names) == 1 {
			if n := d.Recv.List[0].Names[0].Name; n != "_" {
				rname = n
			}
		}
	}
	var t *debuginfo.Type
	if p != nil {
		t = r.conv.namedType(p, recv, 0)
	} else {
		t = unknown(fn.pkg+"."+recv, "no source for the receiver's package")
	}
	if ptr {
		t = pointerTo(t)
	}
	return &debuginfo.Variable{Name: rname, Type: t}, true
}

func (r *Resolver) fromSource(name string, fn funcName, p *pkg) (*Signature, error) {
	key := fn.name
	if fn.recv != "" {
		key = fn.recv + "." + fn.name
	} else if fn.rest != "" {
		recv, _, _ := strings.Cut(fn.rest, ".")
		if p.types[recv].spec == nil {
			return nil, &UnsupportedError{Func: name, Reason: "closure"}
		}
		key = fn.rest
	}
	d, ok := p.funcs[key]
	if !ok && fn.recv == "" && fn.rest == "" {
		// Declared nowhere in its package: the runtime may provide it
		// (//go:linkname mutexevent sync.event).
		if impl, ok := r.linknamed(name); ok {
			return impl, nil
		}
	}
	if !ok && (fn.recv != "" || fn.rest != "") {
		recv, method, _ := strings.Cut(key, ".")
		return r.promoted(name, fn, p, recv, method)
	}
	if !ok {
		return nil, &NotInSourceError{Func: name, Dir: p.dir}
	}
	if d.Type.TypeParams != nil || d.Recv != nil && isGenericRecv(d.Recv.List[0].Type) {
		return nil, &UnsupportedError{Func: name, Reason: "generic function"}
	}
	assembly := false
	if p.bodyless[key] && d.Recv == nil {
		if impl, ok := r.linknamed(p.path + "." + d.Name.Name); ok {
			return impl, nil
		}
		assembly = true
	}
	s := scope{c: r.conv, p: p, f: fileOf(p, d)}
	var recv *debuginfo.Variable
	if d.Recv != nil && len(d.Recv.List) == 1 {
		f := d.Recv.List[0]
		t := s.typeOf(f.Type, 0)
		// (*T).M of a method declared on T is the compiler's wrapper: it
		// takes *T under the method's receiver name.
		if fn.ptrRecv && t.Kind != debuginfo.KindPointer {
			t = pointerTo(t)
		}
		n := "~p0"
		if len(f.Names) == 1 && f.Names[0].Name != "_" {
			n = f.Names[0].Name
		}
		recv = &debuginfo.Variable{Name: n, Type: t}
	}
	params, results := s.variables(recv, d.Type)
	pos := p.fset.Position(d.Pos())
	return &Signature{Func: name, Params: params, Results: results, Assembly: assembly,
		Origin: p.originWhat + " " + pos.Filename + ":" + strconv.Itoa(pos.Line)}, nil
}

// linknamers are the packages that push their functions into others
// with //go:linkname (runtime's time.Sleep, syscall.RawSyscall6).
var linknamers = []string{"runtime", "runtime/internal/syscall", "internal/runtime/syscall", "internal/runtime/syscall/linux",
	"internal/runtime/maps", "internal/poll", "sync", "syscall"}

// linknamed finds the body of a function declared without one: the
// runtime implements time.Sleep as timeSleep under //go:linkname.
func (r *Resolver) linknamed(full string) (*Signature, bool) {
	for _, impl := range linknamers {
		q, err := r.load(impl)
		if err != nil {
			continue
		}
		local, ok := q.linknamed[full]
		if !ok {
			continue
		}
		d, ok := q.funcs[local]
		if !ok || q.bodyless[local] {
			continue
		}
		s := scope{c: r.conv, p: q, f: fileOf(q, d)}
		params, results := s.variables(nil, d.Type)
		pos := q.fset.Position(d.Pos())
		return &Signature{Func: full, Params: params, Results: results,
			Origin: q.originWhat + " " + pos.Filename + ":" + strconv.Itoa(pos.Line) + " (//go:linkname " + local + ")"}, true
	}
	return nil, false
}

func isGenericRecv(e ast.Expr) bool {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	switch e.(type) {
	case *ast.IndexExpr, *ast.IndexListExpr:
		return true
	}
	return false
}

func fileOf(p *pkg, d *ast.FuncDecl) *ast.File {
	for f := range p.imports {
		if f.Pos() <= d.Pos() && d.End() <= f.End() {
			return f
		}
	}
	return nil
}

// load parses a package once, from the first candidate directory that
// holds it.
func (r *Resolver) load(path string) (*pkg, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.pkgs[path]; ok {
		return p, nil
	}
	if err, ok := r.errs[path]; ok {
		return nil, err
	}
	var tried []string
	var parseErr error
	for _, c := range r.loc.candidates(path) {
		if !isDir(c.dir) {
			tried = append(tried, c.dir)
			continue
		}
		p, err := parsePackage(path, c.dir, releaseTags(goMinor(r.loc.goVersion)), r.buildTags())
		if err != nil {
			parseErr = err
			tried = append(tried, c.dir)
			continue
		}
		p.originWhat = c.what
		r.pkgs[path] = p
		return p, nil
	}
	err := error(&NoSourceError{Package: path, Tried: tried, Hint: r.hint(path)})
	if parseErr != nil {
		err = fmt.Errorf("%w (%v)", err, parseErr)
	}
	r.errs[path] = err
	return nil, err
}

// buildTags are the goexperiment tags of the binary's build.
func (r *Resolver) buildTags() []string {
	r.tagsOnce.Do(func() {
		var setting string
		if r.loc.bi != nil {
			for _, s := range r.loc.bi.Settings {
				if s.Key == "GOEXPERIMENT" {
					setting = s.Value
				}
			}
		}
		src := ""
		for _, d := range r.loc.goRootSrcs() {
			if isDir(filepath.Join(d, "internal", "buildcfg")) {
				src = d
				break
			}
		}
		r.tags = experimentTags(src, setting)
	})
	return r.tags
}

// hint says what to install or pass for a package's source.
func (r *Resolver) hint(path string) string {
	sig := "or --signature 'func(name type, ...) (result type)'"
	if path == "main" || path == r.loc.mainPath() {
		return "pass --source DIR (the main module's source tree), " + sig
	}
	if mod, isMain := r.loc.module(path); mod != nil {
		if isMain {
			return "pass --source DIR (a checkout of " + mod.Path + "), " + sig
		}
		m := mod
		if mod.Replace != nil {
			m = mod.Replace
		}
		return fmt.Sprintf("run `go mod download %s@%s` (into the module cache), or --source DIR (a tree with vendor/), %s", m.Path, m.Version, sig)
	}
	if isStd(path) {
		minor := goMinor(r.loc.goVersion)
		if minor < 0 {
			return "pass --go-source DIR (the GOROOT of the Go that built the binary), " + sig
		}
		v := "1." + strconv.Itoa(minor)
		return fmt.Sprintf("apt-get install golang-%s-src, or --go-source DIR (a Go %s GOROOT), %s", v, v, sig)
	}
	return fmt.Sprintf("pass --source DIR (a tree with vendor/%s), or install the Debian package that ships %s/%s (%s), %s",
		path, debianGocode, path, debianDevPackage(path), sig)
}

// promoted builds the compiler's wrapper for a method promoted from an
// embedded field (reflect.(*funcType).Elem is rtype's Elem): the outer
// type as an unnamed receiver, then the embedded method's parameters.
func (r *Resolver) promoted(name string, fn funcName, p *pkg, recv, method string) (*Signature, error) {
	d, q := r.findPromoted(p, recv, method, 0)
	if d == nil {
		return nil, &NotInSourceError{Func: name, Dir: p.dir}
	}
	t := r.conv.namedType(p, recv, 0)
	if fn.ptrRecv {
		t = pointerTo(t)
	}
	s := scope{c: r.conv, p: q, f: fileOf(q, d)}
	params, results := s.variables(&debuginfo.Variable{Name: "~p0", Type: t}, d.Type)
	pos := q.fset.Position(d.Pos())
	return &Signature{Func: name, Params: params, Results: results,
		Origin: q.originWhat + " " + pos.Filename + ":" + strconv.Itoa(pos.Line) + " (promoted through " + p.path + "." + recv + ")"}, nil
}

// findPromoted looks for method on the types embedded in p's type recv,
// breadth by depth as Go's selector rule does, a few levels deep.
func (r *Resolver) findPromoted(p *pkg, recv, method string, depth int) (*ast.FuncDecl, *pkg) {
	if depth > 4 {
		return nil, nil
	}
	td, ok := p.types[recv]
	if !ok {
		return nil, nil
	}
	st, ok := td.spec.Type.(*ast.StructType)
	if !ok {
		return nil, nil
	}
	type emb struct {
		p    *pkg
		name string
	}
	var embs []emb
	for _, f := range st.Fields.List {
		if len(f.Names) > 0 {
			continue
		}
		e := f.Type
		if s, ok := e.(*ast.StarExpr); ok {
			e = s.X
		}
		switch x := e.(type) {
		case *ast.Ident:
			embs = append(embs, emb{p, x.Name})
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok {
				if path := p.imports[td.file][id.Name]; path != "" {
					if q, err := r.load(path); err == nil {
						embs = append(embs, emb{q, x.Sel.Name})
					}
				}
			}
		}
	}
	for _, e := range embs {
		if d, ok := e.p.funcs[e.name+"."+method]; ok {
			return d, e.p
		}
	}
	for _, e := range embs {
		if d, q := r.findPromoted(e.p, e.name, method, depth+1); d != nil {
			return d, q
		}
	}
	return nil, nil
}

// debianDevPackage guesses Debian's name for the package shipping an
// import path, by its naming policy: golang.org/x/sys is
// golang-golang-x-sys-dev, github.com/foo/bar golang-github-foo-bar-dev.
func debianDevPackage(path string) string {
	parts := strings.Split(path, "/")
	host := parts[0]
	switch {
	case strings.HasSuffix(host, ".com") || strings.HasSuffix(host, ".org") || strings.HasSuffix(host, ".io") || strings.HasSuffix(host, ".in"):
		host = host[:strings.LastIndexByte(host, '.')]
	}
	n := 3
	if len(parts) < n {
		n = len(parts)
	}
	name := strings.Join(append([]string{host}, parts[1:n]...), "-")
	return "likely golang-" + strings.ToLower(strings.ReplaceAll(name, ".", "-")) + "-dev"
}
