package target

import (
	"bytes"
	"hash/crc32"
	"os"
	"path/filepath"
)

// findSeparate looks for the debuginfo file of b the way gdb and elfutils
// do: first by build-id under each debug dir, then by .gnu_debuglink next
// to the file, in its .debug/ subdirectory and under each debug dir. A
// candidate must carry .debug_info and match the build-id (or, for
// debuglink, the CRC32 of the whole file).
func findSeparate(b *Binary, opts Options) *Binary {
	dirs := opts.DebugDirs
	if dirs == nil {
		dirs = []string{"/usr/lib/debug"}
	}
	if id := b.BuildID; len(id) > 2 {
		for _, d := range dirs {
			p := filepath.Join(d, ".build-id", id[:2], id[2:]+".debug")
			if c := openCandidate(p, b.BuildID, nil); c != nil {
				return c
			}
		}
	}
	if b.Module != "" {
		cands := moduleDebugPaths(b.Path, dirs)
		if len(cands) == 0 {
			cands = moduleDebugByName(b.Module, b.ModuleRelease(), dirs)
		}
		for _, p := range cands {
			if c := openCandidate(p, b.BuildID, nil); c != nil {
				return c
			}
		}
	}
	name, crc, ok := b.debugLink()
	if !ok {
		return nil
	}
	abs, err := filepath.Abs(b.Path)
	if err != nil {
		abs = b.Path
	}
	dir := filepath.Dir(abs)
	cands := []string{filepath.Join(dir, name), filepath.Join(dir, ".debug", name)}
	for _, d := range dirs {
		cands = append(cands, filepath.Join(d, dir, name))
	}
	for _, p := range cands {
		if p == abs {
			continue
		}
		if c := openCandidate(p, b.BuildID, &crc); c != nil {
			return c
		}
	}
	return nil
}

// openCandidate opens p and keeps it only when it has DWARF and matches:
// same build-id when both have one, else the debuglink CRC when given.
func openCandidate(p, buildID string, crc *uint32) *Binary {
	if _, err := os.Stat(p); err != nil {
		return nil
	}
	c, err := openFile(p)
	if err != nil {
		return nil
	}
	ok := c.hasOwnDWARF()
	switch {
	case !ok:
	case buildID != "" && c.BuildID != "":
		ok = buildID == c.BuildID
	case crc != nil:
		ok = crc32.ChecksumIEEE(c.data) == *crc
	}
	if !ok {
		c.Close()
		return nil
	}
	return c
}

// debugLink parses .gnu_debuglink: a NUL-terminated file name, padding to
// 4 bytes, then a CRC32 in the file's byte order.
func (b *Binary) debugLink() (string, uint32, bool) {
	d, err := b.Section(".gnu_debuglink")
	if err != nil || len(d) == 0 {
		return "", 0, false
	}
	i := bytes.IndexByte(d, 0)
	if i <= 0 {
		return "", 0, false
	}
	off := (i + 4) &^ 3
	if off+4 > len(d) {
		return "", 0, false
	}
	name := string(d[:i])
	if filepath.Base(name) != name { // a link is a bare file name
		return "", 0, false
	}
	return name, b.elf.ByteOrder.Uint32(d[off:]), true
}
