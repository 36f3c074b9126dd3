package command

import (
	"debug/dwarf"
	"debug/elf"
	"debug/gosym"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// TestShowCacheAgainstDWARF: `show --json` (and `list --json` of globs)
// answered from the function cache equals the answer computed without it (--no-cache), and both
// name the entry the standard library's DWARF (or, for a stripped
// binary, its debug/gosym table) gives the function, with the RETs
// objdump finds. Every main.* function of the Go fixture, with DWARF and
// stripped (types from --source), and samples of cmd/go and of Debian's
// stripped containerd.
func TestShowCacheAgainstDWARF(t *testing.T) {
	src := filepath.Dir(testenv.GoSource("main.go"))
	cases := []struct {
		name    string
		bin     func(t *testing.T) string
		funcs   func(t *testing.T, bin string) []string
		flags   []string
		objdump bool
		// twin is a copy with symbols at the same addresses (strip keeps
		// them), read for the outside view of a stripped binary.
		twin func(t *testing.T) string
		// globs are listed too (list --json).
		globs []string
	}{
		{"fixture", func(t *testing.T) string { return testenv.GoFixture(t, testenv.GoDefault) }, mainFuncs, nil, true, nil, []string{"main.*"}},
		{"fixture-stripped", func(t *testing.T) string { return testenv.GoFixture(t, testenv.Strip(testenv.GoDefault)) }, mainFuncs, []string{"--source", src}, true,
			func(t *testing.T) string { return testenv.GoFixture(t, testenv.GoDefault) }, []string{"main.*"}},
		{"cmd/go", func(t *testing.T) string {
			testenv.Long(t, "shows 50 functions of cmd/go three times")
			return testenv.CmdGo(t)
		}, wideSample, nil, false, nil, []string{"cmd/go/internal/modload.*", "os.*"}},
		{"containerd", func(t *testing.T) string { return testenv.Corpus(t, "containerd", "usr/bin/containerd") }, wideSample, nil, false, nil, []string{"os.*", "github.com/containerd/containerd/mount.*"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.bin(t)
			outside := bin
			if tc.twin != nil {
				outside = tc.twin(t)
			}
			entries := outsideEntries(t, outside)
			var rets map[string][]string
			if tc.objdump {
				rets = testenv.ObjdumpAllRets(t, outside)
			}
			fns := tc.funcs(t, bin)
			if len(fns) < 10 {
				t.Fatalf("only %d functions to show: %v", len(fns), fns)
			}
			kept := map[string]bool{}
			listed := len(cacheEntries(t)) // sampleFuncs' list
			for _, fn := range fns {
				args := append(append([]string{"show", "--json"}, tc.flags...), bin, fn)
				want := showOut(t, append([]string{"show", "--no-cache"}, args[1:]...)...)
				if cold := showOut(t, args...); cold != want {
					t.Errorf("%s: first show with the cache differs:\n%s\nwant\n%s", fn, cold, want)
				}
				if warm := showOut(t, args...); warm != want {
					t.Errorf("%s: show from the cache differs:\n%s\nwant\n%s", fn, warm, want)
				}
				goOnly := true
				for _, f := range decodeShown(t, want) {
					goOnly = goOnly && f.Lang == "go"
					if at, ok := entries[f.Name]; !ok || !f.Inlined && !at[f.Entry] {
						t.Errorf("%s: entry %s, not one the binary's own table gives (%v)", f.Name, f.Entry, entries[f.Name])
					}
					if rets != nil && strings.Join(f.Rets, " ") != strings.Join(rets[f.Name], " ") {
						t.Errorf("%s: rets %v, objdump %v", f.Name, f.Rets, rets[f.Name])
					}
				}
				if goOnly {
					kept[fn] = true
				}
			}
			// Only Go answers are kept (C types are read lazily).
			if n := len(cacheEntries(t)) - listed; n != len(kept) || n < 10 {
				t.Errorf("%d cache entries for %d Go functions shown", n, len(kept))
			}
			for _, g := range tc.globs {
				args := append(append([]string{"list", "--json"}, tc.flags...), bin, g)
				want := showOut(t, append([]string{"list", "--no-cache"}, args[1:]...)...)
				showOut(t, args...)
				before := len(cacheEntries(t))
				if warm := showOut(t, args...); warm != want {
					t.Errorf("list %s from the cache differs:\n%s\nwant\n%s", g, warm, want)
				}
				if len(cacheEntries(t)) != before || before <= len(kept) {
					t.Errorf("list %s: %d entries, then %d", g, before, len(cacheEntries(t)))
				}
				lines := strings.Split(strings.TrimSpace(want), "\n")
				for _, l := range lines {
					var f jsonFunc
					if err := json.Unmarshal([]byte(l), &f); err != nil {
						t.Fatal(err)
					}
					if at, ok := entries[f.Name]; !ok || !f.Inlined && !at[f.Entry] {
						t.Errorf("list %s: %s at %s, not one the binary's own table gives (%v)", g, f.Name, f.Entry, entries[f.Name])
					}
				}
				if len(lines) < 3 {
					t.Errorf("list %s: %d functions", g, len(lines))
				}
			}
		})
	}
}

func showOut(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := stapgen(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d\n%s", args, code, errs)
	}
	return out
}

func decodeShown(t *testing.T, out string) []jsonFunc {
	var many []jsonFunc
	if strings.HasPrefix(out, "[") {
		if err := json.Unmarshal([]byte(out), &many); err != nil {
			t.Fatal(err)
		}
		return many
	}
	var one jsonFunc
	if err := json.Unmarshal([]byte(out), &one); err != nil {
		t.Fatal(err)
	}
	return []jsonFunc{one}
}

// mainFuncs are the fixture's own functions.
func mainFuncs(t *testing.T, bin string) []string { return sampleFuncs(t, bin, 1000, "main.*") }

// wideSample spreads 40 functions over the binary, and 10 methods.
func wideSample(t *testing.T, bin string) []string {
	return append(sampleFuncs(t, bin, 40, "*"), sampleFuncs(t, bin, 10, "*.(**).*")...)
}

func cacheEntries(t *testing.T) []string {
	m, _ := filepath.Glob(filepath.Join(testCache(t), "stapgen", "*.gofn", "*"))
	return m
}

// outsideEntries are the entry addresses of every function of bin, by
// name, as the standard library reads them: DWARF's subprograms, or the
// pclntab (debug/gosym) of a binary without DWARF.
func outsideEntries(t *testing.T, bin string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	add := func(name string, pc uint64) {
		if out[name] == nil {
			out[name] = map[string]bool{}
		}
		out[name][fmt.Sprintf("0x%x", pc)] = true
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Symbol-only functions (cgo's C glue) are the symbol table's.
	syms, _ := f.Symbols()
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			add(s.Name, s.Value)
		}
	}
	if f.Section(".debug_info") != nil {
		d := testenv.DWARF(t, bin)
		for e := range testenv.Entries(t, d) {
			if e.Tag != dwarf.TagSubprogram {
				continue
			}
			name, _ := e.Val(dwarf.AttrName).(string)
			if o, ok := e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset); ok && name == "" {
				// An out-of-line copy of a function also inlined.
				or := d.Reader()
				or.Seek(o)
				if oe, err := or.Next(); err == nil && oe != nil {
					name, _ = oe.Val(dwarf.AttrName).(string)
				}
			}
			if name == "" {
				continue
			}
			if out[name] == nil {
				out[name] = map[string]bool{} // an inline-only function has no entry
			}
			if pc, ok := e.Val(dwarf.AttrLowpc).(uint64); ok {
				add(name, pc)
			}
		}
		return out
	}
	tab := f.Section(".gopclntab")
	if tab == nil {
		t.Fatal("neither DWARF nor .gopclntab")
	}
	data, err := tab.Data()
	if err != nil {
		t.Fatal(err)
	}
	st, err := gosym.NewTable(nil, gosym.NewLineTable(data, textStart(f, data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range st.Funcs {
		add(fn.Name, fn.Entry)
	}
	return out
}

// textStart is where the functions the pclntab counts from begin: since
// Go 1.18 its header says (runtime.text, which an external linker puts
// past the C start-up code at .text's start).
func textStart(f *elf.File, tab []byte) uint64 {
	if len(tab) >= 32 && f.ByteOrder.Uint32(tab) >= 0xfffffff0 && tab[7] == 8 {
		return f.ByteOrder.Uint64(tab[24:])
	}
	return f.Section(".text").Addr
}
