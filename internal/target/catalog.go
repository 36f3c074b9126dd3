package target

import (
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/stapgen/stapgen/internal/atomicfile"
)

// ModuleCatalog says which module of a kernel release defines each
// function symbol, so that the target "kernel" finds module functions
// without opening 1,100 files per query. It is persisted per release and
// set of module directories, and revalidated by every file's size and
// mtime (a stat each, milliseconds): only changed modules are read again.
type ModuleCatalog struct {
	Modules []CatalogModule // sorted by name
}

// CatalogModule is one module file and its function symbols.
type CatalogModule struct {
	Name, Path  string
	Size, MTime int64
	Funcs       []string
}

// catalogVersion changes whenever the persisted form changes meaning.
const catalogVersion = 1

type catalogFile struct {
	Version int
	Modules []CatalogModule
}

// CatalogPath is where the catalog of release's modules in dirs lives
// under cacheDir; kind tells catalogs read differently apart.
func CatalogPath(cacheDir, release, kind string, dirs []string) string {
	key := crc32.ChecksumIEEE([]byte(strings.Join(dirs, "\x00")))
	return filepath.Join(cacheDir, fmt.Sprintf("modules-%s-%08x.%s.cat", release, key, kind))
}

// LoadModuleCatalog returns the catalog of the modules in dirs (the first
// directory holding a module names its file: debug trees come first), from
// cache when it is current ("" for none), else read and saved there. read
// lists one module's functions (nil: ModuleSymbols); it runs on two
// modules at a time.
func LoadModuleCatalog(dirs []string, cache string, read func(path string) []string) *ModuleCatalog {
	if read == nil {
		read = ModuleSymbols
	}
	var old map[string]CatalogModule
	if cache != "" {
		old = readCatalog(cache)
	}
	var files []CatalogModule
	seen := map[string]bool{}
	for _, d := range dirs {
		for name, ps := range moduleFiles(d) {
			if seen[name] || compressedModule(ps[0]) != nil {
				continue
			}
			seen[name] = true
			files = append(files, CatalogModule{Name: name, Path: ps[0], Size: -1})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	stale := false
	var todo []int
	for i := range files {
		m := &files[i]
		if st, err := os.Stat(m.Path); err == nil {
			m.Size, m.MTime = st.Size(), st.ModTime().UnixNano()
		}
		if o, ok := old[m.Path]; ok && o.Size == m.Size && o.MTime == m.MTime {
			m.Funcs = o.Funcs
			continue
		}
		todo = append(todo, i)
	}
	stale = len(todo) > 0 || len(old) != len(files)
	// Reading modules is I/O, page faults and DWARF scans: two workers
	// halve a cold build.
	var wg sync.WaitGroup
	next := make(chan int)
	for range 2 {
		wg.Go(func() {
			for i := range next {
				files[i].Funcs = read(files[i].Path)
			}
		})
	}
	for _, i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
	c := &ModuleCatalog{Modules: files}
	if stale && cache != "" {
		os.MkdirAll(filepath.Dir(cache), 0o755)
		atomicfile.WriteGob(cache, 0o600, &catalogFile{Version: catalogVersion, Modules: files})
	}
	return c
}

func readCatalog(p string) map[string]CatalogModule {
	var cf catalogFile
	if atomicfile.ReadGob(p, &cf) != nil || cf.Version != catalogVersion {
		return nil
	}
	out := make(map[string]CatalogModule, len(cf.Modules))
	for _, m := range cf.Modules {
		out[m.Path] = m
	}
	return out
}

// ModuleSymbols are the function symbols of one module, nil when it
// cannot be read (it is then skipped, not an error for every kernel query).
func ModuleSymbols(path string) []string {
	b, err := OpenWith(path, Options{NoSeparate: true})
	if err != nil {
		return nil
	}
	defer b.Close()
	st, err := b.Symbols()
	if err != nil || st == nil {
		return nil
	}
	return append([]string(nil), st.Names()...)
}

// Defining returns the modules with a function symbol name. A scan of
// the 60,000 names costs less than building a map of them (18 ms) for the
// one or two lookups a command makes.
func (c *ModuleCatalog) Defining(name string) []CatalogModule {
	var out []CatalogModule
	for _, m := range c.Modules {
		for _, f := range m.Funcs {
			if f == name {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// Matching returns, per module, the function names that match, for
// modules with at least one.
func (c *ModuleCatalog) Matching(match func(string) bool) map[int][]string {
	out := map[int][]string{}
	for i, m := range c.Modules {
		for _, f := range m.Funcs {
			if match(f) {
				out[i] = append(out[i], f)
			}
		}
	}
	return out
}
