package session

import (
	"os"
	"path/filepath"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/target"
)

// The module catalogs of the target "kernel": which module defines each
// function name, so that a query opens only the modules it needs.

// catalog loads one catalog on first use (a vmlinux function needs
// none), from the cache unless --no-cache.
func (k *kernelFuncs) catalog(c **target.ModuleCatalog, kind string, read func(string) []string) *target.ModuleCatalog {
	k.mu.Lock()
	defer k.mu.Unlock()
	if *c == nil {
		*c = target.LoadModuleCatalog(k.dirs, k.catalogPath(kind), read)
	}
	return *c
}

func (k *kernelFuncs) catalogPath(kind string) string {
	if k.opts.NoCache {
		return ""
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return target.CatalogPath(filepath.Join(base, "stapgen"), k.release, kind, k.dirs)
}

// symbols is the catalog of the modules' symbol tables.
func (k *kernelFuncs) symbols() *target.ModuleCatalog {
	return k.catalog(&k.syms, "sym", target.ModuleSymbols)
}

// allNames is the catalog of every function name the modules define.
// Without a cache it is the symbols' one: scanning every module's DWARF
// on each run would not pay (inline-only functions are then not found).
func (k *kernelFuncs) allNames() *target.ModuleCatalog {
	if k.opts.NoCache {
		return k.symbols()
	}
	return k.catalog(&k.names, "dwarf", k.moduleNames)
}

// defining returns the modules defining name: from the catalog of symbol
// tables, smaller and built in a second (a first lookup of a module
// function then costs no DWARF scan of every module), else from the full
// one, which also knows inline-only functions.
func (k *kernelFuncs) defining(name string) []target.CatalogModule {
	if ms := k.symbols().Defining(name); len(ms) > 0 {
		return ms
	}
	return k.allNames().Defining(name)
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
