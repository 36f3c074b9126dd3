package stap

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCachedVersion: stap -V runs once per stap binary, and again when the
// binary, or the stap a wrapper script runs by absolute path, is replaced.
// The fake stap counts its runs in a file; the versions expected are the
// ones it printed.
func TestCachedVersion(t *testing.T) {
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	// install writes an executable by rename, as a package upgrade does
	// (and so no run meets a file still open for writing).
	install := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p+".new", []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(p+".new", p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fake := func(ver string) string {
		return "#!/bin/sh\necho x >>" + runs + "\necho 'Systemtap translator/driver (version " + ver + "/0.188, Debian version " + ver + "-2)'\n"
	}
	cache := filepath.Join(dir, "cache")
	check := func(r *Runner, want string, wantRuns int) {
		t.Helper()
		v, err := r.CachedVersion(context.Background(), cache)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(runs)
		if v.String() != want || strings.Count(string(b), "x") != wantRuns {
			t.Errorf("version %s after %d runs of stap -V, want %s after %d", v, strings.Count(string(b), "x"), want, wantRuns)
		}
	}
	stap := &Runner{Path: install("stap", fake("4.8"))}
	check(stap, "4.8/0.188", 1)
	check(stap, "4.8/0.188", 1)
	install("stap", fake("5.1"))
	check(stap, "5.1/0.188", 2)

	real := install("real-stap", fake("4.8"))
	wrapper := &Runner{Path: install("stap-wrapper", "#!/bin/sh\nexec "+real+" \"$@\"\n")}
	check(wrapper, "4.8/0.188", 3)
	check(wrapper, "4.8/0.188", 3)
	install("real-stap", fake("5.0"))
	check(wrapper, "5.0/0.188", 4)

	// No cache dir: every call asks.
	if _, err := stap.CachedVersion(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(runs); strings.Count(string(b), "x") != 5 {
		t.Errorf("without a cache dir stap -V did not run")
	}
}
