// Package cachebound keeps a cache directory bounded. stapgen's caches
// grow as it runs (a script file per distinct run, an answer file per Go
// query, a directory per Go binary) and nothing else removes them, so the
// writer prunes as it writes: the least recently used entries beyond a
// count go, but never one used recently, which a concurrent run may be
// reading or about to read.
package cachebound

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// Bound is what a directory keeps.
type Bound struct {
	// Keep is how many entries are kept, the most recently used.
	Keep int
	// Fresh protects an entry used this recently however many there are:
	// stap reads a script after stapgen wrote it, and another process may
	// have just found an answer it is about to read. An entry removed
	// under a reader is a miss for it, never an error (the files are
	// replaced whole, and an open file outlives its name), but Fresh keeps
	// even that from happening to a run in progress.
	Fresh time.Duration
	// Match selects the entries the bound counts and removes; nil is all.
	Match func(name string) bool
}

// entry is one name of the directory and when it was last used.
type entry struct {
	name string
	dir  bool
	used time.Time
}

// Prune removes dir's least recently used entries beyond b.Keep that were
// last used before b.Fresh ago, and returns how many it removed. An
// entry is a file or a directory, removed whole. Its last use is the
// later of its mtime (written) and atime (read: relatime updates it at
// least daily); a directory's is the latest of its mtime and of the
// entries' in it, since reading a file by name leaves the directory's
// times alone (and its atime is what listing it, as Prune does, sets). Errors are ignored: the cache only accelerates, and two
// writers pruning at once remove the same names.
func (b Bound) Prune(dir string) int {
	des, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var es []entry
	for _, de := range des {
		if b.Match == nil || b.Match(de.Name()) {
			es = append(es, entry{name: de.Name(), dir: de.IsDir()})
		}
	}
	// The common case (within the bound) costs one directory read.
	if len(es) <= b.Keep {
		return 0
	}
	for i := range es {
		es[i].used = lastUse(filepath.Join(dir, es[i].name), es[i].dir)
	}
	slices.SortStableFunc(es, func(x, y entry) int { return y.used.Compare(x.used) })
	old := time.Now().Add(-b.Fresh)
	n := 0
	for _, e := range es[b.Keep:] {
		if e.used.IsZero() || !e.used.Before(old) {
			continue // gone already, or in use
		}
		p := filepath.Join(dir, e.name)
		if e.dir {
			err = os.RemoveAll(p)
		} else {
			err = os.Remove(p)
		}
		if err == nil {
			n++
		}
	}
	return n
}

// lastUse is when p was last written or read, zero when it is gone.
func lastUse(p string, dir bool) time.Time {
	t := used(p, !dir)
	if !dir || t.IsZero() {
		return t
	}
	des, _ := os.ReadDir(p)
	for _, de := range des {
		if u := used(filepath.Join(p, de.Name()), !de.IsDir()); u.After(t) {
			t = u
		}
	}
	return t
}

// used is p's mtime, or its atime when later and read says a read of p
// counts as a use.
func used(p string, read bool) time.Time {
	fi, err := os.Lstat(p)
	if err != nil {
		return time.Time{}
	}
	t := fi.ModTime()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && read {
		if a := time.Unix(st.Atim.Sec, st.Atim.Nsec); a.After(t) {
			t = a
		}
	}
	return t
}
