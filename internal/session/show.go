package session

import (
	"os"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/gofncache"
	"github.com/stapgen/stapgen/internal/target"
)

// Shown is one function as show prints it: the function, its Go layout
// (ok false for none) and, for a binary without DWARF, where its types
// came from or why it has none.
type Shown struct {
	Func                   *debuginfo.Function
	Layout                 GoLayout
	HasLayout              bool
	TypesFrom, TypesWhyNot string
}

// Show looks fn up in the target name as show does. For a Go binary the
// answer comes from the function cache when it holds a current one, with
// neither DWARF nor function table read; otherwise the target is opened,
// and the answer computed and stored.
func Show(name, fn string, o OpenOptions) ([]Shown, error) {
	return answer(name, fn, o, true, func(t *Target) ([]*debuginfo.Function, error) { return t.Lookup(fn) })
}

// maxListed bounds the answers to a list kept in the cache: one of every
// function of cmd/go (18,500, with their type graphs) would cost more to
// read back than the lookup it saves.
const maxListed = 2000

// List matches patterns in the target name as list does, through the
// function cache like Show (without the Go layouts list does not print).
func List(name string, patterns []string, o OpenOptions) ([]*debuginfo.Function, error) {
	shown, err := answer(name, "match\x00"+strings.Join(patterns, "\x00"), o, false, func(t *Target) ([]*debuginfo.Function, error) {
		fns, err := t.Match(patterns...)
		return fns, err
	})
	if err != nil {
		return nil, err
	}
	fns := make([]*debuginfo.Function, len(shown))
	for i, s := range shown {
		fns[i] = s.Func
	}
	return fns, nil
}

// answer is query's answer from the cache, or computed by find on the
// opened target (with the Go layouts when layout is set) and stored.
func answer(name, query string, o OpenOptions, layout bool, find func(*Target) ([]*debuginfo.Function, error)) ([]Shown, error) {
	bin, release, err := OpenBinary(name, o)
	if err != nil {
		return nil, err
	}
	var c gofncache.Cache
	if usesFuncCache(name, bin, o) {
		c = cacheOf(bin, o)
		if fns, ok := c.Load(query); ok {
			bin.Close()
			return fromCache(fns), nil
		}
	}
	t, err := attach(name, bin, release, o)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	fns, err := find(t)
	if err != nil {
		return nil, err
	}
	out := make([]Shown, len(fns))
	for i, f := range fns {
		out[i] = Shown{Func: f}
		out[i].TypesFrom, out[i].TypesWhyNot = t.TypesOf(f)
		if layout {
			out[i].Layout, out[i].HasLayout = t.GoLayout(f)
		}
	}
	if cacheable(fns) && len(fns) <= maxListed {
		c.Store(query, toCache(out), t.consulted())
	}
	return out, nil
}

// cacheOf is the function cache of bin, its entries keyed by every
// option the answers depend on; $GOROOT and $GOMODCACHE add places
// source is looked for.
func cacheOf(bin *target.Binary, o OpenOptions) gofncache.Cache {
	return gofncache.New(bin, "", o.Types.Signature, o.Types.GoSource, o.Types.Source, os.Getenv("GOROOT"), os.Getenv("GOMODCACHE"))
}

// cacheable: only Go functions are kept. Their types are complete once
// read (a C struct's members are read on first use, and the binary is
// closed by then).
func cacheable(fns []*debuginfo.Function) bool {
	for _, f := range fns {
		if f.Lang != debuginfo.LangGo {
			return false
		}
	}
	return len(fns) > 0
}

// consulted are the source directories the target's types were looked
// for in.
func (t *Target) consulted() []string {
	if t.types == nil || t.types.r == nil {
		return nil
	}
	return t.types.r.Consulted()
}

func toCache(s []Shown) []gofncache.Func {
	out := make([]gofncache.Func, len(s))
	for i, x := range s {
		out[i] = gofncache.Func{F: x.Func, Layout: x.HasLayout, TypesFrom: x.TypesFrom, TypesWhyNot: x.TypesWhyNot}
		x.Layout.cached(&out[i])
	}
	return out
}

func fromCache(fns []gofncache.Func) []Shown {
	out := make([]Shown, len(fns))
	for i, x := range fns {
		out[i] = Shown{Func: x.F, HasLayout: x.Layout, TypesFrom: x.TypesFrom, TypesWhyNot: x.TypesWhyNot, Layout: layoutOf(x)}
	}
	return out
}
