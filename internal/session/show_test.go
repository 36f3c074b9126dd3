package session

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/gosource"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// entryPath is where Show keeps the answer to fn for bin.
func entryPath(t *testing.T, bin, fn string, o OpenOptions) string {
	b, err := target.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	return cacheOf(b, o).Path(fn)
}

// TestShowFromCache: a second Show answers from the entry the first one
// stored (an entry changed on disk is what it returns: the binary is not
// read again), --no-cache neither reads nor writes entries, and a damaged
// entry is recomputed and rewritten.
func TestShowFromCache(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	for _, tc := range []struct {
		name string
		bin  string
		o    OpenOptions
	}{
		{"dwarf", testenv.GoFixture(t, testenv.GoDefault), OpenOptions{}},
		{"stripped", testenv.GoFixture(t, testenv.Strip(testenv.GoDefault)), OpenOptions{}},
		{"stripped-source", testenv.GoFixture(t, testenv.Strip(testenv.GoDefault)), OpenOptions{Types: gosource.Options{Source: filepath.Dir(testenv.GoSource("main.go"))}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const fn = "main.Many"
			p := entryPath(t, tc.bin, fn, tc.o)
			nc := tc.o
			nc.NoCache = true
			want, err := Show(tc.bin, fn, nc)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(p); err == nil {
				t.Fatal("--no-cache wrote an entry")
			}
			cold, err := Show(tc.bin, fn, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(p); err != nil {
				t.Fatalf("no entry stored: %v", err)
			}
			warm, err := Show(tc.bin, fn, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if tc.o.Types.Source != "" && (want[0].TypesFrom == "" || want[0].Func.NoTypes) {
				t.Fatalf("no types from --source: %+v", want[0])
			}
			for _, got := range [][]Shown{cold, warm} {
				if !sameShown(got, want) {
					t.Errorf("show %+v\nwant %+v", got[0], want[0])
				}
			}

			// The entry is what answers: one with another line is believed.
			b, err := target.Open(tc.bin)
			if err != nil {
				t.Fatal(err)
			}
			c := cacheOf(b, tc.o)
			b.Close()
			fns, _ := c.Load(fn)
			fns[0].F.Line = 99999
			c.Store(fn, fns, nil)
			if got, _ := Show(tc.bin, fn, tc.o); len(got) == 0 || got[0].Func.Line != 99999 {
				t.Error("the second Show did not answer from the cache")
			}

			// Damaged: recomputed, and rewritten whole.
			os.WriteFile(p, []byte("garbage"), 0o600)
			got, err := Show(tc.bin, fn, tc.o)
			if err != nil || !sameShown(got, want) {
				t.Errorf("after damage: %v %+v", err, got)
			}
			if _, ok := c.Load(fn); !ok {
				t.Error("a damaged entry was not rewritten")
			}
		})
	}
}

// sameShown compares answers by value (types are graphs of pointers).
func sameShown(a, b []Shown) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !reflect.DeepEqual(x.Layout, y.Layout) || x.HasLayout != y.HasLayout || x.TypesFrom != y.TypesFrom || x.TypesWhyNot != y.TypesWhyNot {
			return false
		}
		if !sameFunc(x.Func, y.Func) {
			return false
		}
	}
	return true
}

// sameFunc compares what a function's exported fields hold, its type
// graphs followed to the end.
func sameFunc(a, b *debuginfo.Function) bool {
	if a.Name != b.Name || a.LinkageName != b.LinkageName || a.Symbol != b.Symbol || a.Lang != b.Lang || a.File != b.File || a.Line != b.Line ||
		a.Entry != b.Entry || a.End != b.End || a.NoTypes != b.NoTypes || a.Inlined != b.Inlined || a.Module != b.Module ||
		len(a.Params) != len(b.Params) || len(a.Results) != len(b.Results) {
		return false
	}
	seen := map[[2]*debuginfo.Type]bool{}
	vars := func(x, y []debuginfo.Variable) bool {
		for i := range x {
			if x[i].Name != y[i].Name || x[i].Location != y[i].Location || x[i].LocList != y[i].LocList || x[i].Result != y[i].Result ||
				!sameType(x[i].Type, y[i].Type, seen) {
				return false
			}
		}
		return true
	}
	return vars(a.Params, b.Params) && vars(a.Results, b.Results) && sameType(a.Return, b.Return, seen)
}

func sameType(a, b *debuginfo.Type, seen map[[2]*debuginfo.Type]bool) bool {
	if a == nil || b == nil {
		return a == b
	}
	if seen[[2]*debuginfo.Type{a, b}] {
		return true
	}
	seen[[2]*debuginfo.Type{a, b}] = true
	if a.Kind != b.Kind || a.Name != b.Name || a.GoName != b.GoName || a.Size != b.Size || a.Count != b.Count || a.Char != b.Char ||
		a.EmptyInterface != b.EmptyInterface || !reflect.DeepEqual(a.Enumerators, b.Enumerators) || len(a.Fields) != len(b.Fields) {
		return false
	}
	for i, f := range a.Fields {
		g := b.Fields[i]
		if f.Name != g.Name || f.Offset != g.Offset || f.BitSize != g.BitSize || f.BitOffset != g.BitOffset || !sameType(f.Type, g.Type, seen) {
			return false
		}
	}
	return sameType(a.Elem, b.Elem, seen) && sameType(a.Key, b.Key, seen)
}

// TestConsulted: a stripped binary's answer typed from source names the
// directories its types were looked for in, the one they came from among
// them (what gofncache revalidates the entry by).
func TestConsulted(t *testing.T) {
	bin := testenv.GoFixture(t, testenv.Strip(testenv.GoDefault))
	dir := filepath.Dir(testenv.GoSource("main.go"))
	tg, err := Open(bin, OpenOptions{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	fns, err := tg.Lookup("main.Many")
	if err != nil || fns[0].NoTypes {
		t.Fatalf("lookup: %v %v", fns, err)
	}
	if c := tg.consulted(); !slices.Contains(c, dir) {
		t.Errorf("consulted %v, not the source directory %s", c, dir)
	}
}
