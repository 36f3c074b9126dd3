package debuginfo

import (
	"encoding/gob"
	"os"
	"path/filepath"

	"github.com/stapgen/stapgen/internal/target"
)

// cacheVersion changes whenever nameIndex's meaning changes.
const cacheVersion = 1

// cacheFile is the persisted name index of one DWARF file. It is keyed by
// build-id and validated with the file's size and mtime, so a rebuilt
// binary with a reused build-id (rare, but -ldflags=-buildid= exists)
// does not read a stale index.
type cacheFile struct {
	Version int
	BuildID string
	Size    int64
	MTime   int64
	Units   int
	Index   *nameIndex
}

func (ix *Index) cachePath() (string, bool) { return cachePath(ix.bin, ix.opts, ".idx") }

// cachePath names the cache file of b's DWARF with extension ext; false
// when caching is off or the file has no build-id to key it by.
func cachePath(b *target.Binary, opts Options, ext string) (string, bool) {
	if opts.NoCache {
		return "", false
	}
	id := b.DWARFFile().BuildID
	if id == "" {
		id = b.BuildID
	}
	if id == "" {
		return "", false
	}
	dir := opts.CacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", false
		}
		dir = filepath.Join(base, "stapgen")
	}
	return filepath.Join(dir, id+ext), true
}

func (ix *Index) fileStamp() (int64, int64) { return fileStamp(ix.bin) }

// fileStamp is the size and mtime of b's DWARF file, which a cache entry
// must match: a rebuilt binary may reuse its build-id.
func fileStamp(b *target.Binary) (int64, int64) {
	st, err := os.Stat(b.DWARFFile().Path)
	if err != nil {
		return -1, -1
	}
	return st.Size(), st.ModTime().UnixNano()
}

// writeAtomic writes a cache file through a temp file and a rename, so
// concurrent runs never read half of one. Failures are ignored: the cache
// only accelerates.
func writeAtomic(p string, write func(*os.File) error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return
	}
	err = write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
}

// loadCache returns the persisted index, or nil when absent, stale or
// unreadable (a broken cache is never an error: we rebuild it).
func (ix *Index) loadCache() (n *nameIndex) {
	p, ok := ix.cachePath()
	if !ok {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	defer func() {
		if recover() != nil {
			n = nil
		}
	}()
	var c cacheFile
	if err := gob.NewDecoder(f).Decode(&c); err != nil || c.Index == nil {
		return nil
	}
	size, mtime := ix.fileStamp()
	if c.Version != cacheVersion || c.Size != size || c.MTime != mtime || c.Units != len(ix.units) {
		return nil
	}
	for _, refs := range c.Index.ByName {
		for _, r := range refs {
			if r.Unit < 0 || int(r.Unit) >= len(ix.units) {
				return nil
			}
		}
	}
	return c.Index
}

// saveCache persists the index.
func (ix *Index) saveCache(n *nameIndex) {
	p, ok := ix.cachePath()
	if !ok {
		return
	}
	size, mtime := ix.fileStamp()
	c := cacheFile{Version: cacheVersion, BuildID: filepath.Base(p), Size: size, MTime: mtime, Units: len(ix.units), Index: n}
	writeAtomic(p, func(f *os.File) error { return gob.NewEncoder(f).Encode(&c) })
}

// CachePath reports where the index of this binary is (or would be)
// persisted, for `--no-cache` diagnostics; "" when caching is off.
func (ix *Index) CachePath() string {
	p, _ := ix.cachePath()
	return p
}
