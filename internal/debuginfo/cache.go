package debuginfo

import (
	"encoding/gob"
	"os"
	"path/filepath"
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

func (ix *Index) cachePath() (string, bool) {
	if ix.opts.NoCache {
		return "", false
	}
	f := ix.bin.DWARFFile()
	id := f.BuildID
	if id == "" {
		id = ix.bin.BuildID
	}
	if id == "" {
		return "", false
	}
	dir := ix.opts.CacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", false
		}
		dir = filepath.Join(base, "stapgen")
	}
	return filepath.Join(dir, id+".idx"), true
}

func (ix *Index) fileStamp() (int64, int64) {
	st, err := os.Stat(ix.bin.DWARFFile().Path)
	if err != nil {
		return -1, -1
	}
	return st.Size(), st.ModTime().UnixNano()
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

// saveCache writes the index atomically (temp file + rename); failures
// are ignored because the cache is only an accelerator.
func (ix *Index) saveCache(n *nameIndex) {
	p, ok := ix.cachePath()
	if !ok {
		return
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".idx-*")
	if err != nil {
		return
	}
	size, mtime := ix.fileStamp()
	c := cacheFile{Version: cacheVersion, BuildID: filepath.Base(p), Size: size, MTime: mtime, Units: len(ix.units), Index: n}
	err = gob.NewEncoder(tmp).Encode(&c)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
	}
}

// CachePath reports where the index of this binary is (or would be)
// persisted, for `--no-cache` diagnostics; "" when caching is off.
func (ix *Index) CachePath() string {
	p, _ := ix.cachePath()
	return p
}
