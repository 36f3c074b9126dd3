package symfile

import (
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/stapgen/stapgen/internal/atomicfile"
)

// formatVersion changes whenever the generated file's layout or naming
// changes, so files written by an older stapgen are rewritten.
const formatVersion = 1

// stampSection holds the stamp of the binary the file was made for;
// sitesSection the sites it names, 8 bytes each; subsSection the
// functions its DWARF describes (JSON of []Sub).
const (
	stampSection = ".stapgen.stamp"
	sitesSection = ".stapgen.sites"
	subsSection  = ".stapgen.subs"
)

// update makes the file at p carry stamp and at least the sites and
// described functions asked for. It reuses the file when it already does;
// otherwise it writes the union of the file's and these, so a concurrent
// run that asked for others never loses its own. The read-merge-write is serialised by a lock
// file beside p, and the write is a temp file renamed over p, so stap never
// reads half a file.
func update(p, stamp string, sites []uint64, subs []Sub, build func(sites []uint64, subs []Sub) ([]byte, error)) error {
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
	allSubs := mergeSubs(nil, subs)
	if ok {
		if have.holds(sites, subs) {
			return nil
		}
		for a := range have.sites {
			all = append(all, a)
		}
		allSubs = mergeSubs(have.subs, subs)
	}
	b, err := build(sortedUnique(all), allSubs)
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

// held is what a debug file already carries.
type held struct {
	sites map[uint64]bool
	subs  []Sub
}

// holds says the file has every site and describes every function of subs
// exactly as asked.
func (h held) holds(sites []uint64, subs []Sub) bool {
	for _, a := range sites {
		if !h.sites[a] {
			return false
		}
	}
	for _, s := range subs {
		i := slices.IndexFunc(h.subs, func(o Sub) bool { return o.Entry == s.Entry })
		if i < 0 || !reflect.DeepEqual(normSub(h.subs[i]), normSub(s)) {
			return false
		}
	}
	return true
}

// normSub makes an empty list and a nil one compare equal.
func normSub(s Sub) Sub {
	if len(s.Params) == 0 {
		s.Params = nil
	}
	for i := range s.Params {
		if len(s.Params[i].Regs) == 0 {
			s.Params[i].Regs = nil
		}
	}
	return s
}

// decodeSubs reads a subsSection; any damage gives false (the file is
// rewritten).
func decodeSubs(b []byte) ([]Sub, bool) {
	var subs []Sub
	if err := json.Unmarshal(b, &subs); err != nil {
		return nil, false
	}
	for _, s := range subs {
		if s.check() != nil {
			return nil, false
		}
	}
	return subs, true
}

// existingSites reads back the aliases and described functions of a file
// we wrote for the same binary (a stamp current says is). A missing,
// foreign or stale file gives false: it is rewritten, never trusted.
func existingSites(p string, current func(stamp string) bool) (held, bool) {
	f, err := elf.Open(p)
	if err != nil {
		return held{}, false
	}
	defer f.Close()
	s := f.Section(stampSection)
	if s == nil {
		return held{}, false
	}
	b, err := s.Data()
	if err != nil || !current(string(b)) {
		return held{}, false
	}
	have := held{sites: map[uint64]bool{}}
	if s := f.Section(subsSection); s != nil {
		b, err := s.Data()
		if err != nil {
			return held{}, false
		}
		var ok bool
		if have.subs, ok = decodeSubs(b); !ok {
			return held{}, false
		}
	}
	if s := f.Section(sitesSection); s != nil {
		b, err := s.Data()
		if err != nil || len(b)%8 != 0 {
			return held{}, false
		}
		for i := 0; i < len(b); i += 8 {
			have.sites[binary.LittleEndian.Uint64(b[i:])] = true
		}
		return have, true
	}
	// A file from before the sites section: its aliases.
	syms, err := f.Symbols()
	if err != nil {
		return held{}, false
	}
	for _, s := range syms {
		if rest, ok := strings.CutPrefix(s.Name, AliasPrefix+"0x"); ok {
			if a, err := strconv.ParseUint(rest, 16, 64); err == nil && a == s.Value {
				have.sites[a] = true
			}
		}
	}
	return have, true
}
