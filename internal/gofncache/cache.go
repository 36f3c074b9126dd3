// Package gofncache persists what show and gen need of the Go functions of
// one binary, per build-id: each looked-up name's functions with their
// type graphs and Go facts (body, stack check, RETs, register homes), and
// the facts of the whole binary a plan asks for (the goroutine id's
// offset, the runtime's type descriptors), so a repeated query
// needs neither the binary's DWARF (inflating a Go binary's compressed
// sections alone costs 60 ms on cmd/go) nor its function table (80 ms on
// containerd). Entries are made as names are looked up, so a first query
// costs what it did without the cache plus one small write.
//
// The rules are those of the other caches (raw.Cache): keyed by build-id,
// checked against the file's size and mtime, version-stamped, written
// atomically; a missing, stale or damaged entry is a miss, never an error.
// An entry typed from Go source (a binary without DWARF) also records the
// source directories it consulted, found or not, and is stale once one of
// them changes: installing a package that ships a missing source makes
// the types appear.
package gofncache

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stapgen/stapgen/internal/atomicfile"
	"github.com/stapgen/stapgen/internal/cachebound"
	"github.com/stapgen/stapgen/internal/debuginfo/raw"
	"github.com/stapgen/stapgen/internal/target"
)

// version changes whenever an entry's meaning changes (2: stack checks,
// failures of RETs and homes, the binary's facts; 3: the binary's names
// as a list).
const version = 3

// Cache is the function cache of one binary; the zero value (caching off,
// or a binary without build-id) holds nothing.
type Cache struct {
	dir         string // "" when off
	id          string
	size, mtime int64
	opts        string    // what else the answer depends on (type sources)
	stamps      *sync.Map // dir → Stamp, for StampOnce
}

// StampOnce is c stamping each source directory once, for a command that
// loads several entries naming the same directories (a stripped binary's
// GOROOT packages hold hundreds of files each); not for a process that
// waits for a directory to change.
func (c Cache) StampOnce() Cache {
	c.stamps = new(sync.Map)
	return c
}

func (c Cache) stamp(dir string) string {
	if c.stamps == nil {
		return Stamp(dir)
	}
	if s, ok := c.stamps.Load(dir); ok {
		return s.(string)
	}
	s := Stamp(dir)
	c.stamps.Store(dir, s)
	return s
}

// New describes the cache of b in dir ($XDG_CACHE_HOME/stapgen when
// empty); opts are the options the answers depend on beyond the binary
// (--signature, --go-source, --source), which key the entries too.
func New(b *target.Binary, dir string, opts ...string) Cache {
	rc := raw.NewCache(b, false, dir)
	p, ok := rc.Path(".gofn")
	if !ok {
		return Cache{}
	}
	return Cache{dir: p, id: filepath.Base(strings.TrimSuffix(p, ".gofn")), size: rc.Size, mtime: rc.MTime, opts: strings.Join(opts, "\x00")}
}

// head says what an entry answers and what it was computed from.
type head struct {
	Version     int
	Tool        string // the stapgen that computed it (self)
	BuildID     string
	Size, MTime int64
	Opts, Query string
	Sources     []Source
}

// entry is one persisted answer.
type entry struct {
	Head  head // a field by name: gob keeps no unexported embedding
	Funcs []funcRec
	Types []typeRec
}

// newHead is the head of an answer to query computed now.
func (c Cache) newHead(query string, sources []string) head {
	h := head{Version: version, Tool: self(), BuildID: c.id, Size: c.size, MTime: c.mtime, Opts: c.opts, Query: query}
	for _, d := range sources {
		h.Sources = append(h.Sources, Source{Dir: d, Stamp: c.stamp(d)})
	}
	return h
}

// current: h answers query for this binary, stapgen and options, and no
// source directory it consulted has changed since.
func (c Cache) current(h head, query string) bool {
	if h.Version != version || h.Tool != self() || h.BuildID != c.id || h.Size != c.size || h.MTime != c.mtime || h.Opts != c.opts || h.Query != query {
		return false
	}
	for _, s := range h.Sources {
		if c.stamp(s.Dir) != s.Stamp {
			return false
		}
	}
	return true
}

// Source is a directory an answer's types were looked for in, and its
// state then (stamp).
type Source struct{ Dir, Stamp string }

// path is where the answer to query lives: one file per query, so that
// concurrent commands asking different names never rewrite each other.
// The size is in the name too: `strip` keeps the build-id, and a binary
// and its stripped copy answer differently (DWARF, function table).
func (c Cache) path(query string) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s\x00%s", c.size, c.opts, query)))
	return filepath.Join(c.dir, hex.EncodeToString(h[:12]))
}

// Path is where the answer to query is (or would be) kept, "" when off.
func (c Cache) Path(query string) string {
	if c.dir == "" {
		return ""
	}
	return c.path(query)
}

// Load returns the functions query found when they were stored, or false
// when there is no current entry.
func (c Cache) Load(query string) ([]Func, bool) {
	if c.dir == "" {
		return nil, false
	}
	f, err := os.Open(c.path(query))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	return c.decode(f, query)
}

// decode is Load of the entry r holds.
func (c Cache) decode(r io.Reader, query string) ([]Func, bool) {
	var e entry
	if atomicfile.DecodeGob(r, &e) != nil {
		return nil, false
	}
	if !c.current(e.Head, query) || len(e.Funcs) == 0 {
		return nil, false
	}
	fns, err := unflatten(e.Funcs, e.Types)
	if err != nil {
		return nil, false
	}
	return fns, true
}

// Store keeps the answer to query; sources are the directories its types
// were looked for in (none for DWARF). Failures are ignored: the cache
// only accelerates.
func (c Cache) Store(query string, fns []Func, sources []string) {
	if c.dir == "" || len(fns) == 0 {
		return
	}
	e := entry{Head: c.newHead(query, sources)}
	e.Funcs, e.Types = flatten(fns)
	c.write(query, &e)
}

// Bounds on what the cache keeps, pruned as entries are written: a
// binary's most recently used answers (a glob's entry or a function's is
// a few KB), and the binaries most recently used (every rebuild of a Go
// program has a new build-id). Anything used in the last day stays.
var (
	entryBound  = cachebound.Bound{Keep: 512, Fresh: 24 * time.Hour}
	binaryBound = cachebound.Bound{Keep: 64, Fresh: 24 * time.Hour, Match: func(n string) bool { return strings.HasSuffix(n, ".gofn") }}
)

// write keeps v as the entry of query, then bounds the binary's entries
// and, when this binary's directory is new, the binaries'.
func (c Cache) write(query string, v any) {
	_, err := os.Lstat(c.dir)
	created := os.IsNotExist(err)
	if os.MkdirAll(c.dir, 0o700) != nil || atomicfile.WriteGob(c.path(query), 0o600, v) != nil {
		return
	}
	entryBound.Prune(c.dir)
	if created {
		binaryBound.Prune(filepath.Dir(c.dir))
	}
}

// self names the running stapgen by its executable's size and mtime: an
// answer is made by code (type spellings, ABI rules) that any rebuild may
// change, and a version constant is bumped by hand only for the format.
var self = sync.OnceValue(func() string {
	p, err := os.Executable()
	if err != nil {
		return "?"
	}
	st, err := os.Stat(p)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%d:%d", st.Size(), st.ModTime().UnixNano())
})

// Stamp sums what of a source directory the types depend on: whether it
// exists, and each Go file's name, size and mtime (an edit in place keeps
// the directory's own mtime).
func Stamp(dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "absent"
	}
	var parts []string
	for _, de := range ents {
		if de.IsDir() || !strings.HasSuffix(de.Name(), ".go") {
			continue
		}
		fi, err := de.Info()
		if err != nil {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s:%d:%d", de.Name(), fi.Size(), fi.ModTime().UnixNano()))
	}
	slices.Sort(parts)
	return fmt.Sprintf("%d:%08x", len(parts), crc32.ChecksumIEEE([]byte(strings.Join(parts, "\n"))))
}
