package cachebound

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPrune: what is left of a directory whose entries were last written
// and read at the given ages (hours), for bounds of a count and a
// freshness. The times are set with os.Chtimes and read back by the
// kernel's stat, outside the code under test.
func TestPrune(t *testing.T) {
	type ent struct {
		name          string
		wrote, read   float64 // hours ago
		dir           bool
		child, childR float64 // a directory's one file: hours ago written, read (0: none)
	}
	fresh := Bound{Keep: 2, Fresh: time.Hour}
	stp := Bound{Keep: 1, Fresh: time.Hour, Match: func(n string) bool { return strings.HasSuffix(n, ".stp") }}
	for _, tc := range []struct {
		name    string
		b       Bound
		ents    []ent
		want    []string // left, sorted
		removed int
	}{
		{"within the bound nothing goes", fresh,
			[]ent{{name: "a", wrote: 900, read: 900}, {name: "b", wrote: 800, read: 800}},
			[]string{"a", "b"}, 0},
		{"beyond it the least recently written go", fresh,
			[]ent{{name: "a", wrote: 30, read: 30}, {name: "b", wrote: 10, read: 10}, {name: "c", wrote: 20, read: 20}, {name: "d", wrote: 40, read: 40}},
			[]string{"b", "c"}, 2},
		{"a read counts as a use", fresh,
			[]ent{{name: "a", wrote: 30, read: 2}, {name: "b", wrote: 10, read: 10}, {name: "c", wrote: 20, read: 20}},
			[]string{"a", "b"}, 1},
		{"nothing used within Fresh goes, beyond Keep too", fresh,
			[]ent{{name: "a", wrote: 0.5, read: 0.5}, {name: "b", wrote: 0.2, read: 0.2}, {name: "c", wrote: 0.1, read: 0.1}, {name: "d", wrote: 5, read: 5}},
			[]string{"a", "b", "c"}, 1},
		{"a directory is as recent as what is in it", fresh,
			[]ent{{name: "x.gofn", wrote: 50, read: 50, dir: true, child: 40, childR: 1.5},
				{name: "y.gofn", wrote: 3, read: 3, dir: true},
				{name: "z.gofn", wrote: 20, read: 20, dir: true, child: 20, childR: 20}},
			[]string{"x.gofn", "y.gofn"}, 1},
		{"listing a directory is no use of it", fresh,
			[]ent{{name: "x.gofn", wrote: 50, read: 0, dir: true, child: 40, childR: 40},
				{name: "y.gofn", wrote: 3, read: 3, dir: true},
				{name: "z.gofn", wrote: 20, read: 20, dir: true}},
			[]string{"y.gofn", "z.gofn"}, 1},
		{"only matching names count and go", stp,
			[]ent{{name: "old.idx", wrote: 90, read: 90}, {name: "a.stp", wrote: 30, read: 30}, {name: "b.stp", wrote: 10, read: 10}, {name: "c.stp", wrote: 20, read: 20}},
			[]string{"b.stp", "old.idx"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			now := time.Now()
			ago := func(h float64) time.Time { return now.Add(-time.Duration(h * float64(time.Hour))) }
			for _, e := range tc.ents {
				p := filepath.Join(dir, e.name)
				if e.dir {
					if err := os.Mkdir(p, 0o755); err != nil {
						t.Fatal(err)
					}
					if e.child > 0 {
						c := filepath.Join(p, "entry")
						if err := os.WriteFile(c, []byte("x"), 0o644); err != nil {
							t.Fatal(err)
						}
						if err := os.Chtimes(c, ago(e.childR), ago(e.child)); err != nil {
							t.Fatal(err)
						}
					}
				} else if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(p, ago(e.read), ago(e.wrote)); err != nil {
					t.Fatal(err)
				}
			}
			n := tc.b.Prune(dir)
			des, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, de := range des {
				left = append(left, de.Name())
			}
			slices.Sort(left)
			if !slices.Equal(left, tc.want) || n != tc.removed {
				t.Errorf("left %v, removed %d; want %v, %d", left, n, tc.want, tc.removed)
			}
		})
	}
}

// TestPruneMissingDir: a cache never written is nothing to prune.
func TestPruneMissingDir(t *testing.T) {
	if n := (Bound{Keep: 0}).Prune(filepath.Join(t.TempDir(), "none")); n != 0 {
		t.Errorf("removed %d", n)
	}
}
