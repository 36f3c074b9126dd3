package plan

import (
	"slices"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/symfile"
)

// point is a function probe point on f, named so that stap matches f and
// no other function.
func (b *builder) point(f *debuginfo.Function, ret bool) (Point, error) {
	name, err := b.stapName(f)
	if err != nil {
		return Point{}, err
	}
	return Point{Kind: PointFunction, Path: b.userPath(), Module: b.module(f), Name: name, Addr: f.Entry, Return: ret}, nil
}

// module is the kernel module f is in: the target's, or for the target
// "kernel" the one its index found f in.
func (b *builder) module(f *debuginfo.Function) string {
	if f != nil && f.Module != "" {
		return f.Module
	}
	return b.in.Target.Module
}

// stapName is how function("...") must spell f.Name. stap matches it with
// fnmatch(3) after a lexer that keeps some escapes and drops others, so
// no escaping makes '*' literal (main.(\\*T).M finds nothing); the name
// with such characters as '?' works when that pattern names f alone.
func (b *builder) stapName(f *debuginfo.Function) (string, error) {
	if f.LinkageName != "" && !f.Inlined {
		// A C++ function's mangled name is its symbol, which stap matches
		// exactly: the one spelling that tells overloads apart (stap
		// rejects one probe on both area(long, long) and area(double)).
		return f.LinkageName, nil
	}
	for i := 0; i < len(f.Name); i++ {
		if c := f.Name[i]; c < 0x20 || c >= 0x7f {
			return "", refuse("function name %q has a byte (%q) that a stap probe point cannot carry", f.Name, c)
		}
	}
	w := symfile.Wildcard(f.Name)
	if w == f.Name {
		return w, nil
	}
	fns, err := b.in.Funcs.Match(w)
	if err != nil {
		return "", err
	}
	var others []string
	for _, g := range fns {
		if g.Name != f.Name && !slices.Contains(others, g.Name) {
			others = append(others, g.Name)
		}
	}
	if len(others) > 0 {
		return "", refuse("stap's probe points cannot spell %s exactly, and %s also matches %s; probe it by address (a Go function with stap 5 and the kernel runtime is probed past its prologue)", f.Name, w, strings.Join(others[:min(3, len(others))], ", "))
	}
	return w, nil
}

// userPath is the binary a user-space point names, "" for the kernel.
func (b *builder) userPath() string {
	if b.in.Target.Kernel {
		return ""
	}
	return b.in.Target.Path
}

// addressProbes tells whether stap can place probes at addresses in the
// user-space target: stap 5 reads Go's DWARF for them, and a generated
// debug file's symbols name any address for every stap.
func (b *builder) addressProbes() bool {
	return !b.in.Target.Kernel && (b.in.Stap.AtLeast(5, 0) || b.in.Target.Symbols)
}

// noRetProbes refuses a Go return where !addressProbes, on either
// runtime: what stap lacks and the way out.
func (b *builder) noRetProbes() error {
	return refuse("Go returns need probes at the function's RET instructions, which stap %s cannot place in a Go binary with DWARF (no .debug_aranges); use stap 5.0 or newer (stapgen adds -g), or drop --return", b.in.Stap)
}

func (b *builder) address(a uint64) Point {
	return Point{Kind: PointAddress, Path: b.in.Target.Path, Addr: a}
}
