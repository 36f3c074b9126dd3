package raw

import (
	"os"
	"path/filepath"

	"github.com/stapgen/stapgen/internal/atomicfile"
	"github.com/stapgen/stapgen/internal/target"
)

// Cache names the persisted derivatives of one DWARF file (its unit table
// here, the name index in nameindex). Entries are keyed by build-id and
// validated with the file's size and mtime, taken once per open: a
// rebuilt binary may reuse its build-id (-ldflags=-buildid= exists).
type Cache struct {
	base        string // directory and build-id; "" when caching is off
	Size, MTime int64
}

// NewCache describes the cache of b's DWARF in dir ($XDG_CACHE_HOME/stapgen
// when empty); off, or a file without build-id, gives a cache that holds
// nothing.
func NewCache(b *target.Binary, off bool, dir string) Cache {
	if off {
		return Cache{}
	}
	id := b.DWARFFile().BuildID
	if id == "" {
		id = b.BuildID
	}
	if id == "" {
		return Cache{}
	}
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return Cache{}
		}
		dir = filepath.Join(base, "stapgen")
	}
	// A relocatable file's entries were once made from its DWARF read
	// unrelocated (every function at 0): its own key keeps them from
	// being reused, without invalidating every vmlinux's index.
	if b.DWARFFile().Relocatable() {
		id += ".rel"
	}
	c := Cache{base: filepath.Join(dir, id), Size: -1, MTime: -1}
	if st, err := os.Stat(b.DWARFFile().Path); err == nil {
		c.Size, c.MTime = st.Size(), st.ModTime().UnixNano()
	}
	return c
}

// Path names the cache file with extension ext; false when caching is off.
func (c Cache) Path(ext string) (string, bool) {
	if c.base == "" {
		return "", false
	}
	return c.base + ext, true
}

// WriteAtomic writes a cache file through a temp file and a rename, so
// concurrent runs never read half of one. Failures are ignored: the cache
// only accelerates.
func WriteAtomic(p string, write func(*os.File) error) {
	atomicfile.Write(p, 0o600, write)
}
