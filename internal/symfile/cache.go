package symfile

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/stapgen/stapgen/internal/atomicfile"
)

// formatVersion changes whenever the generated file's layout or naming
// changes, so files written by an older stapgen are rewritten.
const formatVersion = 1

// stampSection holds the stamp of the binary the file was made for;
// sitesSection the sites it names, 8 bytes each.
const (
	stampSection = ".stapgen.stamp"
	sitesSection = ".stapgen.sites"
)

// update makes the file at p carry stamp and at least the sites asked for.
// It reuses the file when it already does; otherwise it writes the union of
// the file's sites and these, so a concurrent run that asked for other
// sites never loses its own. The read-merge-write is serialised by a lock
// file beside p, and the write is a temp file renamed over p, so stap never
// reads half a file.
func update(p, stamp string, sites []uint64, build func(sites []uint64) ([]byte, error)) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("symfile: %w", err)
	}
	lock, err := os.OpenFile(p+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("symfile: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("symfile: lock %s: %w", p, err)
	}
	have, ok := existingSites(p, func(s string) bool { return s == stamp })
	all := append([]uint64(nil), sites...)
	if ok {
		missing := false
		for _, a := range sites {
			if !have[a] {
				missing = true
				break
			}
		}
		if !missing {
			return nil
		}
		for a := range have {
			all = append(all, a)
		}
	}
	b, err := build(sortedUnique(all))
	if err != nil {
		return err
	}
	// 0644: a stap run by another user must read it.
	err = atomicfile.Write(p, 0o644, func(f *os.File) error { _, err := f.Write(b); return err })
	if err != nil {
		return fmt.Errorf("symfile: write %s: %w", p, err)
	}
	return nil
}

// existingSites reads back the aliases of a file we wrote for the same
// binary (a stamp current says is). A missing, foreign or stale file gives
// false: it is rewritten, never trusted.
func existingSites(p string, current func(stamp string) bool) (map[uint64]bool, bool) {
	f, err := elf.Open(p)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	s := f.Section(stampSection)
	if s == nil {
		return nil, false
	}
	b, err := s.Data()
	if err != nil || !current(string(b)) {
		return nil, false
	}
	have := map[uint64]bool{}
	if s := f.Section(sitesSection); s != nil {
		b, err := s.Data()
		if err != nil || len(b)%8 != 0 {
			return nil, false
		}
		for i := 0; i < len(b); i += 8 {
			have[binary.LittleEndian.Uint64(b[i:])] = true
		}
		return have, true
	}
	// A file from before the sites section: its aliases.
	syms, err := f.Symbols()
	if err != nil {
		return nil, false
	}
	for _, s := range syms {
		if rest, ok := strings.CutPrefix(s.Name, AliasPrefix+"0x"); ok {
			if a, err := strconv.ParseUint(rest, 16, 64); err == nil && a == s.Value {
				have[a] = true
			}
		}
	}
	return have, true
}
