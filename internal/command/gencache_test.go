package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestGenCacheAgainstNoCache: `gen` of a Go function planned from the
// function cache writes the script --no-cache writes, byte for byte (and
// the same refusal, with the same exit code), on its first run with the
// cache and on a warm one: every main.* function of the Go fixture, with
// DWARF and stripped (types from --source), and samples of cmd/go and of
// Debian's stripped containerd, each for RET probes on the kernel runtime
// and for BPF entries. The --no-cache scripts are the ones the golden,
// stap and run tests check against the traced programs; here the warm
// fixture scripts are also checked to probe each RET objdump finds.
func TestGenCacheAgainstNoCache(t *testing.T) {
	src := filepath.Dir(testenv.GoSource("main.go"))
	sample30 := func(t *testing.T, bin string) []string {
		return append(sampleFuncs(t, bin, 24, "*"), sampleFuncs(t, bin, 6, "*.(**).*")...)
	}
	cases := []struct {
		name    string
		bin     func(t *testing.T) string
		funcs   func(t *testing.T, bin string) []string
		flags   []string
		objdump bool
	}{
		{"fixture", func(t *testing.T) string { return testenv.GoFixture(t, testenv.GoDefault) }, mainFuncs, nil, true},
		{"fixture-stripped", func(t *testing.T) string { return testenv.GoFixture(t, testenv.Strip(testenv.GoDefault)) }, mainFuncs, []string{"--source", src}, false},
		{"cmd/go", func(t *testing.T) string {
			testenv.Long(t, "generates scripts for 30 functions of cmd/go six times each")
			return testenv.CmdGo(t)
		}, sample30, nil, false},
		{"containerd", func(t *testing.T) string { return testenv.Corpus(t, "containerd", "usr/bin/containerd") }, sample30, nil, false},
	}
	variants := [][]string{
		{"--stap-version", "5.1", "--return"},
		{"--stap-version", "4.8", "--runtime", "bpf"},
		// RETs with DWARF are refused; a stripped binary's are planned.
		{"--stap-version", "4.8", "--runtime", "bpf", "--return"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.bin(t)
			var rets map[string][]string
			if tc.objdump {
				rets = testenv.ObjdumpAllRets(t, bin)
			}
			fns := tc.funcs(t, bin)
			if len(fns) < 10 {
				t.Fatalf("only %d functions: %v", len(fns), fns)
			}
			scripts := 0
			for _, fn := range fns {
				for _, v := range variants {
					args := append(append(append([]string{"gen"}, v...), tc.flags...), bin, fn)
					nc := append([]string{"gen", "--no-cache"}, args[1:]...)
					want, wantErr, wantCode := stapgen(t, nc...)
					for _, run := range []string{"first", "warm"} {
						got, gotErr, code := stapgen(t, args...)
						if got != want || gotErr != wantErr || code != wantCode {
							t.Errorf("%s %v, %s run with the cache: exit %d, %s\n%s\nwant exit %d, %s\n%s", fn, v, run, code, gotErr, got, wantCode, wantErr, want)
						}
					}
					if wantCode != 0 {
						continue
					}
					scripts++
					if rets != nil && v[len(v)-1] == "--return" {
						for _, r := range rets[fn] {
							if !strings.Contains(want, ".statement("+r+")") {
								t.Errorf("%s: no probe on the RET objdump finds at %s", fn, r)
							}
						}
					}
				}
			}
			if tc.objdump {
				scripts += requestsAgainstNoCache(t, bin)
			}
			if scripts < len(fns)/2 {
				t.Errorf("only %d scripts written for %d functions", scripts, len(fns))
			}
			// One entry a pattern planned (C functions are not kept).
			if n := len(cacheEntries(t)); n < len(fns)/2 {
				t.Errorf("%d cache entries for %d functions", n, len(fns))
			}
		})
	}
}

// TestRunFromWarmCacheOnHostBPF: a run planned from the function cache
// (a second run of the same request: a plan from the binary would have
// rewritten its entries) traces main.Mount
// on the host's BPF runtime, each string and the flags as the program
// printed it passing them.
func TestRunFromWarmCacheOnHostBPF(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	args := []string{"run", "--stap", host, "--runtime", "bpf", "-c", bin, "--format", "json", bin, "main.Mount"}
	if _, errs, code := stapgen(t, args...); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, errs)
	}
	kept := entryStats(t)
	if len(kept) == 0 {
		t.Fatal("the first run kept no cache entry")
	}
	out, errs, code := stapgen(t, args...)
	if code != 0 {
		t.Fatalf("warm run: exit %d\n%s", code, errs)
	}
	for p, st := range entryStats(t) {
		if was, ok := kept[p]; !ok || !os.SameFile(was, st) || !was.ModTime().Equal(st.ModTime()) {
			t.Errorf("the warm run wrote the entry %s", p)
		}
	}
	calls := said(t, errs, "CALL")["main.Mount"]
	evs := exactEvents(t, out)
	if len(calls) != 1 || len(evs) < 1 {
		t.Fatalf("%d calls, %d events\n%s\n%s", len(calls), len(evs), out, errs)
	}
	for _, k := range []string{"source", "target", "fstype", "flags", "data"} {
		if got := val(evs[0], k); got != calls[0][k] {
			t.Errorf("%s = %q, the program passed %q", k, got, calls[0][k])
		}
	}
}

// entryStats are the function cache's files, by path.
func entryStats(t *testing.T) map[string]os.FileInfo {
	out := map[string]os.FileInfo{}
	for _, p := range cacheEntries(t) {
		if st, err := os.Stat(p); err == nil {
			out[p] = st
		}
	}
	return out
}

// requestsAgainstNoCache is TestGenCacheAgainstNoCache for requests of
// other shapes on the fixture: field paths through pointers, whole
// structs, filters, interfaces (the runtime's type descriptors), globs,
// several functions, a method whose name stap cannot spell exactly, and a
// line probe (a Go one needs no lookup). Each warm run answers from the
// cache (it rewrites no entry), but for an alternative naming no
// function, which is looked up again each time (no entry keeps a
// function's absence). It returns how many scripts it compared.
func requestsAgainstNoCache(t *testing.T, bin string) int {
	n := 0
	for _, req := range [][]string{
		{"main.Ptr", "--fields", "o->Next->Name,o->Flags,o->Mode", "--depth", "3"},
		{"main.ByValue", "--fields", "o$$", "--depth", "2"},
		{"main.Str", "--where", `s == "x"`, "--return", "--entry"},
		{"main.Iface", "main.Err", "main.Shaped"},
		{"main.Map", "main.Chan", "main.Array", "--elems", "2"},
		{"main.S*", "--strlen", "9"},
		{"main.(*Rect).Area", "main.Rect.Scale", "--return"},
		{"main.nosuch|main.Tick", "--return"},
		{"main.go:53"},
		{"main.Multi", "--fields", "msg", "--return", "--entry=false"},
	} {
		args := append([]string{"gen", "--stap-version", "5.1", bin}, req...)
		want, wantErr, wantCode := stapgen(t, append([]string{"gen", "--no-cache"}, args[1:]...)...)
		var kept map[string]os.FileInfo
		for _, run := range []string{"first", "warm"} {
			if run == "warm" {
				kept = entryStats(t)
			}
			got, gotErr, code := stapgen(t, args...)
			if got != want || gotErr != wantErr || code != wantCode {
				t.Errorf("%v, %s run with the cache: exit %d, %s\n%s\nwant exit %d, %s\n%s", req, run, code, gotErr, got, wantCode, wantErr, want)
			}
		}
		if !strings.Contains(req[0], "nosuch") {
			for p, st := range entryStats(t) {
				if was, ok := kept[p]; !ok || !os.SameFile(was, st) || !was.ModTime().Equal(st.ModTime()) {
					t.Errorf("%v: the warm run rewrote the entry %s (planned from the binary)", req, p)
				}
			}
		}
		if wantCode == 0 {
			n++
		} else {
			t.Logf("%v: refused the same way: %s", req, wantErr)
		}
	}
	return n
}
