package session

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/stapgen/stapgen/internal/debuginfo"
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

	mu      sync.Mutex
	catalog *target.ModuleCatalog
	mods    map[string]*moduleFuncs // by path
}

type moduleFuncs struct {
	bin *target.Binary
	ix  *debuginfo.Index
	err error
}

func newKernelFuncs(vmlinux FunctionSource, bin *target.Binary, release string, o OpenOptions) *kernelFuncs {
	return &kernelFuncs{vmlinux: vmlinux, bin: bin, release: release, opts: o,
		dirs: target.ModuleDirs(release, o.Root, o.debugDirs()), mods: map[string]*moduleFuncs{}}
}

// cat loads the catalog on first use: a vmlinux function never needs it.
func (k *kernelFuncs) cat() *target.ModuleCatalog {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.catalog == nil {
		cache := ""
		if !k.opts.NoCache {
			if base, err := os.UserCacheDir(); err == nil {
				cache = target.CatalogPath(filepath.Join(base, "stapgen"), k.release, k.dirs)
			}
		}
		k.catalog = target.LoadModuleCatalog(k.dirs, cache, k.moduleNames)
	}
	return k.catalog
}

// moduleNames lists what a module defines for the catalog: every
// function name of its DWARF, inline-only ones included (stap -L lists
// them), and the symbols without DWARF (GCC's .cold parts). Building
// its name index here also caches it for later queries.
func (k *kernelFuncs) moduleNames(path string) []string {
	b, err := target.OpenWith(path, target.Options{DebugDirs: k.opts.debugDirs()})
	if err != nil {
		return nil
	}
	defer b.Close()
	syms := target.ModuleSymbols(b.Path)
	if !b.HasDWARF() {
		return syms
	}
	ix, err := debuginfo.OpenWith(b, debuginfo.Options{NoCache: k.opts.NoCache})
	if err != nil {
		return syms
	}
	names, err := ix.Names("*")
	if err != nil {
		return syms
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		seen[n] = true
	}
	for _, s := range syms {
		if !seen[s] {
			names = append(names, s)
		}
	}
	return names
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
	for _, m := range k.cat().Defining(name) {
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
		// suggestions.
		return k.vmlinux.Lookup(name)
	}
	return fns, nil
}

// Match lists vmlinux's matches, then each module's. Exact names that
// vmlinux has (gen resolves every function it is given through Match)
// never load the catalog.
func (k *kernelFuncs) Match(patterns ...string) ([]*debuginfo.Function, error) {
	fns, err := k.vmlinux.Match(patterns...)
	var nf *debuginfo.NotFoundError
	if err != nil && !errors.As(err, &nf) {
		return nil, err
	}
	globs := make([]debuginfo.Glob, len(patterns))
	missing := false
	for i, p := range patterns {
		globs[i] = debuginfo.CompileGlob(p)
		lit, ok := globs[i].Literal()
		missing = missing || !ok || !hasFunction(fns, lit)
	}
	if !missing {
		return fns, nil
	}
	c := k.cat()
	hits := c.Matching(func(n string) bool {
		for _, g := range globs {
			if g.Match(n) {
				return true
			}
		}
		return false
	})
	idx := make([]int, 0, len(hits))
	for i := range hits {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		ix, merr := k.module(c.Modules[i])
		if merr != nil {
			continue
		}
		// Exact names: the catalog already did the globbing.
		if mf, merr := ix.Match(hits[i]...); merr == nil {
			fns = append(fns, k.tag(ix, mf)...)
		}
	}
	if len(fns) == 0 {
		return nil, err
	}
	return fns, nil
}

func hasFunction(fns []*debuginfo.Function, name string) bool {
	for _, f := range fns {
		if f.Name == name {
			return true
		}
	}
	return false
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
// it is the live system's module, which stap -r R finds in /lib/modules/R
// itself; else by the path of the file with DWARF, which stap reads
// directly (its basename must be the module's, since stap takes the
// module name from it), or the installed module's path.
func stapModuleName(b *target.Binary, release string) string {
	dw := b.DWARFFile().Path
	if release != "" {
		for _, p := range []string{b.Path, dw} {
			for _, dir := range target.ModuleDirs(release, "", nil) {
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
