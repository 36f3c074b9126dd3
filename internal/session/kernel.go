package session

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/target"
)

// kernelFuncs is the target "kernel": vmlinux first, then the release's
// modules, found through the module catalog and opened when one of their
// functions is asked for. Module functions carry Module, how stap names
// their module.
type kernelFuncs struct {
	vmlinux FunctionSource
	bin     *target.Binary // vmlinux's
	release string
	opts    OpenOptions
	dirs    []string

	mu sync.Mutex
	// syms and names are the module catalogs: of symbol tables (a second
	// to build), and of DWARF names and symbols (seconds: every module's
	// DWARF is scanned, inline-only functions included).
	syms, names *target.ModuleCatalog
	mods        map[string]*moduleFuncs     // by path
	byModule    map[string]*debuginfo.Index // by Function.Module
}

type moduleFuncs struct {
	bin *target.Binary
	ix  *debuginfo.Index
	err error
}

func newKernelFuncs(vmlinux FunctionSource, bin *target.Binary, release string, o OpenOptions) *kernelFuncs {
	return &kernelFuncs{vmlinux: vmlinux, bin: bin, release: release, opts: o,
		dirs: target.ModuleDirs(release, o.Root, o.debugDirs()), mods: map[string]*moduleFuncs{}, byModule: map[string]*debuginfo.Index{}}
}

// module opens a module's index once.
func (k *kernelFuncs) module(m target.CatalogModule) (*debuginfo.Index, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if mf, ok := k.mods[m.Path]; ok {
		return mf.ix, mf.err
	}
	mf := &moduleFuncs{}
	k.mods[m.Path] = mf
	mf.bin, mf.err = target.OpenWith(m.Path, target.Options{DebugDirs: k.opts.debugDirs()})
	if mf.err == nil {
		if mf.ix, mf.err = debuginfo.OpenWith(mf.bin, debuginfo.Options{NoCache: k.opts.NoCache}); mf.err != nil {
			mf.bin.Close()
			mf.bin = nil
		}
	}
	return mf.ix, mf.err
}

// tag marks functions of a module with how stap names it.
func (k *kernelFuncs) tag(ix *debuginfo.Index, fns []*debuginfo.Function) []*debuginfo.Function {
	name := stapModuleName(ix.Binary(), k.release)
	k.mu.Lock()
	k.byModule[name] = ix
	k.mu.Unlock()
	for _, f := range fns {
		f.Module = name
	}
	return fns
}

// Lookup finds name in vmlinux, else in the modules defining it. A
// function vmlinux has a symbol of never loads the catalog; one it has no
// symbol of goes to the modules at once, since vmlinux's miss would rank
// 46,000 names for suggestions.
func (k *kernelFuncs) Lookup(name string) ([]*debuginfo.Function, error) {
	if syms, err := k.bin.SymbolsNamed(name); err != nil || len(syms) > 0 {
		return k.vmlinux.Lookup(name)
	}
	var fns []*debuginfo.Function
	for _, m := range k.defining(name) {
		ix, err := k.module(m)
		if err != nil {
			continue
		}
		if mf, err := ix.Lookup(name); err == nil {
			fns = append(fns, k.tag(ix, mf)...)
		}
	}
	if len(fns) == 0 {
		// Inline-only functions have no symbol; a miss gets vmlinux's
		// suggestions and the modules' together.
		fns, err := k.vmlinux.Lookup(name)
		var nf *debuginfo.NotFoundError
		if errors.As(err, &nf) {
			nf.Near = k.near(name, nf.Near)
		}
		return fns, err
	}
	return fns, nil
}

// near ranks vmlinux's suggestions and the modules' function symbols
// together (debuginfo.Suggest), so a misspelt module function is
// suggested too.
func (k *kernelFuncs) near(name string, vmlinux []string) []string {
	seen := map[string]bool{}
	var all []string
	for _, n := range vmlinux {
		if !seen[n] {
			seen[n] = true
			all = append(all, n)
		}
	}
	for _, m := range k.symbols().Modules {
		for _, n := range m.Funcs {
			if !seen[n] {
				seen[n] = true
				all = append(all, n)
			}
		}
	}
	sort.Strings(all)
	out := debuginfo.Suggest(name, all)
	if len(out) == 0 {
		return vmlinux
	}
	return out
}

// Match lists vmlinux's matches, then each module's. Exact names that
// vmlinux has a symbol of (gen resolves every function it is given
// through Match) never load the catalog; exact names it has none of but a
// module has skip vmlinux, whose miss would rank 46,000 names.
func (k *kernelFuncs) Match(patterns ...string) ([]*debuginfo.Function, error) {
	var vm, mod []debuginfo.Glob
	var vmPatterns []string
	for _, p := range patterns {
		g := debuginfo.CompileGlob(p)
		lit, isLit := g.Literal()
		if !isLit {
			vm, mod, vmPatterns = append(vm, g), append(mod, g), append(vmPatterns, p)
			continue
		}
		if syms, err := k.bin.SymbolsNamed(lit); err == nil && len(syms) == 0 && len(k.defining(lit)) > 0 {
			mod = append(mod, g)
			continue
		}
		vm, vmPatterns = append(vm, g), append(vmPatterns, p)
	}
	var fns []*debuginfo.Function
	var err error
	if len(vmPatterns) > 0 {
		fns, err = k.vmlinux.Match(vmPatterns...)
		var nf *debuginfo.NotFoundError
		if err != nil && !errors.As(err, &nf) {
			return nil, err
		}
		// A name vmlinux lacks after all (inline-only there, or only
		// in a module) is looked for in the modules too.
		for _, g := range vm {
			if lit, ok := g.Literal(); ok && !hasFunction(fns, lit) {
				mod = append(mod, g)
			}
		}
	}
	if len(mod) == 0 {
		return fns, err
	}
	for _, h := range k.moduleHits(mod) {
		ix, merr := k.module(h.mod)
		if merr != nil {
			continue
		}
		// Exact names: the catalog already did the globbing.
		if mf, merr := ix.Match(h.names...); merr == nil {
			fns = append(fns, k.tag(ix, mf)...)
		}
	}
	if len(fns) == 0 {
		if err == nil {
			return k.vmlinux.Match(patterns...)
		}
		return nil, err
	}
	return fns, nil
}

// moduleHit is a module and the names of its functions a query matched.
type moduleHit struct {
	mod   target.CatalogModule
	names []string
}

// moduleHits are the modules with functions matching any of globs, in
// name order: exact names through defining (no DWARF catalog needed for
// a symbol), globs through the full catalog.
func (k *kernelFuncs) moduleHits(globs []debuginfo.Glob) []moduleHit {
	var lits []string
	var pats []debuginfo.Glob
	for _, g := range globs {
		if lit, ok := g.Literal(); ok {
			lits = append(lits, lit)
		} else {
			pats = append(pats, g)
		}
	}
	byPath := map[string]*moduleHit{}
	add := func(m target.CatalogModule, name string) {
		h := byPath[m.Path]
		if h == nil {
			h = &moduleHit{mod: m}
			byPath[m.Path] = h
		}
		if !slices.Contains(h.names, name) {
			h.names = append(h.names, name)
		}
	}
	for _, lit := range lits {
		for _, m := range k.defining(lit) {
			add(m, lit)
		}
	}
	if len(pats) > 0 {
		c := k.allNames()
		for i, names := range c.Matching(func(n string) bool {
			for _, g := range pats {
				if g.Match(n) {
					return true
				}
			}
			return false
		}) {
			for _, n := range names {
				add(c.Modules[i], n)
			}
		}
	}
	out := make([]moduleHit, 0, len(byPath))
	for _, h := range byPath {
		out = append(out, *h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].mod.Name < out[j].mod.Name })
	return out
}

func hasFunction(fns []*debuginfo.Function, name string) bool {
	for _, f := range fns {
		if f.Name == name {
			return true
		}
	}
	return false
}

// lister is the index that knows f's lines: its module's, or vmlinux's.
func (k *kernelFuncs) lister(f *debuginfo.Function) (plan.LineLister, error) {
	if f.Module != "" {
		k.mu.Lock()
		ix := k.byModule[f.Module]
		k.mu.Unlock()
		if ix == nil {
			return nil, fmt.Errorf("%s: module %s is not open", f.Name, f.Module)
		}
		return ix, nil
	}
	ll, ok := k.vmlinux.(plan.LineLister)
	if !ok {
		return nil, fmt.Errorf("%s: vmlinux has no line tables", f.Name)
	}
	return ll, nil
}

// Lines lists f's probe-able lines, from the index f came from.
func (k *kernelFuncs) Lines(f *debuginfo.Function) ([]debuginfo.Line, error) {
	ll, err := k.lister(f)
	if err != nil {
		return nil, err
	}
	return ll.Lines(f)
}

// LineAt is line n of f (a site per copy of f holding it), from the index
// f came from.
func (k *kernelFuncs) LineAt(f *debuginfo.Function, n int) ([]debuginfo.Line, error) {
	ll, err := k.lister(f)
	if err != nil {
		return nil, err
	}
	return ll.LineAt(f, n)
}

// IsClone asks the index f came from.
func (k *kernelFuncs) IsClone(f *debuginfo.Function) bool {
	ll, err := k.lister(f)
	return err == nil && ll.IsClone(f)
}

// FunctionsAtLine answers from vmlinux: finding which module holds a
// source file would mean reading every module's line tables (a module's
// lines are reached as module:NAME FILE:LINE, or FUNCTION@FILE:LINE).
func (k *kernelFuncs) FunctionsAtLine(file string, n int) (debuginfo.LineFunctions, error) {
	lf, ok := k.vmlinux.(plan.LineFinder)
	if !ok {
		return debuginfo.LineFunctions{}, fmt.Errorf("%s:%d: vmlinux has no line tables", file, n)
	}
	return lf.FunctionsAtLine(file, n)
}

// close releases the opened modules.
func (k *kernelFuncs) close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, m := range k.mods {
		if m.bin != nil {
			m.bin.Close()
		}
	}
	k.mods = map[string]*moduleFuncs{}
}

// stapModuleName is how a script names a module for stap: by name when
// it is the live system's module (stapModuleNameIn: live is that
// system's root, "" for /),
// which stap -r R finds in /lib/modules/R itself; else by the path of the
// file with DWARF, which stap reads directly (its basename must be the
// module's, since stap takes the module name from it), or the installed
// module's path.
func stapModuleName(b *target.Binary, release string) string {
	return stapModuleNameIn(b, release, "")
}

func stapModuleNameIn(b *target.Binary, release, live string) string {
	dw := b.DWARFFile().Path
	if release != "" {
		for _, p := range []string{b.Path, dw} {
			for _, dir := range target.ModuleDirs(release, live, nil) {
				if strings.HasPrefix(p, dir+"/") {
					return b.Module
				}
			}
		}
	}
	if target.ModuleName(dw) == b.Module {
		return dw
	}
	return b.Path
}

var (
	_ plan.LineLister = (*kernelFuncs)(nil)
	_ plan.LineFinder = (*kernelFuncs)(nil)
)
