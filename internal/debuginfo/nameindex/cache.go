package nameindex

import (
	"path/filepath"

	"github.com/stapgen/stapgen/internal/atomicfile"
	"github.com/stapgen/stapgen/internal/debuginfo/raw"
)

// cacheVersion changes whenever Index's meaning changes (3: saved as
// lists, persist.go).
const cacheVersion = 3

// cacheFile is the persisted name index of one DWARF file (see raw.Cache
// for how it is keyed and validated).
type cacheFile struct {
	Version int
	BuildID string
	Size    int64
	MTime   int64
	Units   int
	Index   *persisted
}

// ext ends the name of the cache file of a name index.
const ext = ".idx"

// Load returns the persisted index of a file with units units, or nil when
// absent, stale or unreadable (a broken cache is never an error: it is
// rebuilt).
func Load(c raw.Cache, units int) (n *Index) {
	p, ok := c.Path(ext)
	if !ok {
		return nil
	}
	var cf cacheFile
	if err := atomicfile.ReadGob(p, &cf); err != nil || cf.Index == nil {
		return nil
	}
	if cf.Version != cacheVersion || cf.Size != c.Size || cf.MTime != c.MTime || cf.Units != units {
		return nil
	}
	for _, e := range cf.Index.ByName {
		for _, r := range e.Refs {
			if r.Unit < 0 || int(r.Unit) >= units {
				return nil
			}
		}
	}
	return cf.Index.index()
}

// Save persists the index.
func (n *Index) Save(c raw.Cache, units int) {
	p, ok := c.Path(ext)
	if !ok {
		return
	}
	cf := cacheFile{Version: cacheVersion, BuildID: filepath.Base(p), Size: c.Size, MTime: c.MTime, Units: units, Index: n.persisted()}
	// Failures are ignored: the cache only accelerates.
	atomicfile.WriteGob(p, 0o600, &cf)
}

// CachePath reports where the index of a file is (or would be) persisted,
// for `--no-cache` diagnostics; "" when caching is off.
func CachePath(c raw.Cache) string {
	p, _ := c.Path(ext)
	return p
}
