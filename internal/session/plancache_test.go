package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/gosource"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestGenerateFromCache: a plan of a Go function is kept in the function
// cache and a second Generate answers from it (an entry changed on disk is
// what the script says: the binary is not read again); --no-cache neither
// reads nor writes; a request the cache cannot answer whole (another
// function, the binary's facts gone) gives the script the binary gives,
// and completes the cache.
func TestGenerateFromCache(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	v51 := stap.Version{Major: 5, Minor: 1}
	for _, tc := range []struct {
		name    string
		bin     string
		o       OpenOptions
		symbols bool // named through a generated debug file
	}{
		{"dwarf", testenv.GoFixture(t, testenv.GoDefault), OpenOptions{}, false},
		{"stripped-source", testenv.GoFixture(t, testenv.Strip(testenv.GoDefault)), OpenOptions{Types: gosource.Options{Source: filepath.Dir(testenv.GoSource("main.go"))}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gen := func(o OpenOptions, fns ...string) string {
				t.Helper()
				req := &spec.Request{}
				for _, fn := range fns {
					req.Probes = append(req.Probes, spec.Probe{Function: fn, Entry: true, Return: true})
				}
				s, err := Generate(context.Background(), GenerateOptions{Target: tc.bin, Open: o, Request: req, StapVersion: &v51})
				if err != nil {
					t.Fatal(err)
				}
				return string(s.Source)
			}
			b, err := target.Open(tc.bin)
			if err != nil {
				t.Fatal(err)
			}
			c := cacheOf(b, tc.o)
			b.Close()
			const fn = "main.Multi"
			p := c.Path(planQuery(fn))
			nc := tc.o
			nc.NoCache = true
			want := gen(nc, fn)
			if _, err := os.Stat(p); err == nil {
				t.Fatal("--no-cache wrote an entry")
			}
			if got := gen(tc.o, fn); got != want {
				t.Errorf("first script with the cache differs:\n%s\nwant\n%s", got, want)
			}
			fns, ok := c.Load(planQuery(fn))
			if !ok || len(fns) != 1 || !fns[0].RetsOK || len(fns[0].Rets) == 0 || !c.LoadBinary().GoidOK {
				t.Fatalf("no plan entry stored: %v %+v", ok, fns)
			}
			if got := gen(tc.o, fn); got != want {
				t.Errorf("warm script differs:\n%s\nwant\n%s", got, want)
			}

			// The entry is what answers: a RET it names is probed.
			real := fns[0].Rets
			fns[0].Rets = append(append([]uint64(nil), real...), 0x1234567)
			c.Store(planQuery(fn), fns, nil)
			if got := gen(tc.o, fn); !strings.Contains(got, fmt.Sprintf(".statement(0x%x)", 0x1234567)) && !strings.Contains(got, "0x1234567") {
				t.Error("the second Generate did not answer from the cache")
			}
			if got := gen(nc, fn); got != want {
				t.Error("--no-cache read the cache")
			}
			fns[0].Rets = real
			c.Store(planQuery(fn), fns, nil)

			// Another function (not kept yet), and the binary's facts gone:
			// planned from the binary, and both kept for next time.
			want2 := gen(nc, fn, "main.Str")
			os.Remove(c.BinaryPath())
			if got := gen(tc.o, fn, "main.Str"); got != want2 {
				t.Errorf("script of a request the cache half answers differs:\n%s\nwant\n%s", got, want2)
			}
			if _, ok := c.Load(planQuery("main.Str")); !ok || !c.LoadBinary().GoidOK {
				t.Error("the fallback kept nothing")
			}
			if got := gen(tc.o, fn, "main.Str"); got != want2 {
				t.Error("warm script of two functions differs")
			}

			// Without symbols, the points' names are kept; the debug file
			// they name is rewritten when it is gone.
			if tc.symbols {
				if len(c.LoadBinary().Names) == 0 {
					t.Error("no symbol names kept")
				}
				debug, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "stapgen", "debug", ".build-id", "*", "*.debug"))
				if len(debug) == 0 {
					t.Fatal("no debug file written")
				}
				for _, d := range debug {
					os.Remove(d)
				}
				if got := gen(tc.o, fn, "main.Str"); got != want2 {
					t.Error("script differs once the debug file was removed")
				}
				if again, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "stapgen", "debug", ".build-id", "*", "*.debug")); len(again) == 0 {
					t.Error("the debug file was not written again")
				}
			}
		})
	}
}

// TestPointNamesRefuseDamage: kept symbol names are used only when they
// name every point and hold nothing symfile never writes.
func TestPointNamesRefuseDamage(t *testing.T) {
	p := &plan.Plan{Probes: []plan.Probe{{Points: []plan.Point{{Addr: 0x10}, {Addr: 0x20}}}}}
	for _, tc := range []struct {
		names map[uint64]string
		ok    bool
	}{
		{map[uint64]string{0x10: "main.f", 0x20: "stapgen.pc.0x20"}, true},
		{map[uint64]string{0x10: "main.(?T).M", 0x20: "stapgen.pc.0x20", 0x30: "other"}, true},
		{map[uint64]string{0x10: "main.f"}, false},
		{map[uint64]string{0x10: "main.f", 0x20: `a") { system("x`}, false},
		{map[uint64]string{0x10: "main.f", 0x20: "a\nb"}, false},
		{map[uint64]string{0x10: "main.f", 0x20: ""}, false},
		{map[uint64]string{0x10: "main.*", 0x20: "b"}, false},
	} {
		got, ok := pointNames(p, tc.names)
		if ok != tc.ok || ok && len(got) != 2 {
			t.Errorf("%v: %v %v, want %v", tc.names, got, ok, tc.ok)
		}
	}
}
