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
	looked []string // every directory load looked in, found or not
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
func (r *Resolver) Func(name string) (sig *Signature, err error) {
	if r.sigErr != nil {
		return nil, r.sigErr
	}
	r.query.Lock()
	defer r.query.Unlock()
	defer func() {
		// Source given by --source is anyone's; a reader bug on it
		// must come back as an error, not end the program.
		if x := recover(); x != nil {
			r.conv.pending = nil
			sig, err = nil, fmt.Errorf("%s: reading its source: internal error: %v", name, x)
		}
	}()
	defer r.conv.drain()
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
		recv, method, _ := strings.Cut(fn.rest, ".")
		switch {
		case p.types[recv].spec != nil:
			key = fn.rest
		case fn.closure > 0 && p.funcs[method] != nil:
			// F.G.funcN: a literal of G inlined into F, numbered
			// among F's literals: which one is the compiler's choice.
			return nil, &UnsupportedError{Func: name, Reason: "closure of a call inlined into " + recv}
		default:
			return nil, &UnsupportedError{Func: name, Reason: "nested closure"}
		}
	}
	if fn.closure > 0 {
		return r.closure(name, p, key, fn.closure)
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
	if d.Type.TypeParams != nil || d.Recv != nil && len(d.Recv.List) == 1 && isGenericRecv(d.Recv.List[0].Type) {
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
		r.looked = append(r.looked, c.dir)
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

// Consulted lists every directory the resolver looked for a package in,
// and every GOROOT it checked for the binary's Go version, found or not: the answers it gave hold while none of them changes (the
// function cache's validation).
func (r *Resolver) Consulted() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append(r.loc.looked(), r.looked...)
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

// closure gives the n-th function literal of the function at key its
// parameters; what it captures travels in its context register, not as
// arguments.
func (r *Resolver) closure(name string, p *pkg, key string, n int) (*Signature, error) {
	if p.wrapped[key] && goMinor(r.loc.goVersion) < 22 {
		return nil, &UnsupportedError{Func: name, Reason: "Go 1.17-1.21 number its go/defer wrappers among its literals"}
	}
	lits := p.closures[key]
	if n > len(lits) {
		return nil, &NotInSourceError{Func: name, Dir: p.dir}
	}
	ft := lits[n-1]
	var f *ast.File
	for x := range p.imports {
		if x.Pos() <= ft.Pos() && ft.End() <= x.End() {
			f = x
		}
	}
	s := scope{c: r.conv, p: p, f: f}
	params, results := s.variables(nil, ft)
	pos := p.fset.Position(ft.Pos())
	return &Signature{Func: name, Params: params, Results: results,
		Origin: p.originWhat + " " + pos.Filename + ":" + strconv.Itoa(pos.Line)}, nil
}
