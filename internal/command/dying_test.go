package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// TestStapDyingMidRun: when stap dies (here a stand-in killed by SIGKILL
// half-way through a record), every whole record it wrote is delivered,
// the cut one is reported as partial, and the exit code says stap failed.
func TestStapDyingMidRun(t *testing.T) {
	bin := testenv.GoFixture(t, testenv.GoDefault)
	dir := t.TempDir()
	fake := filepath.Join(dir, "stap")
	// It finds -o FILE among its arguments like stap, writes two records
	// and half of a third, and dies.
	os.WriteFile(fake, []byte(`#!/bin/sh
case " $* " in *" -V "*) echo "Systemtap translator/driver (version 5.1/0.192)"; exit 0;; esac
while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done
printf '@@sg1 0 1 0 10 10 1 5:68656c6c6f\n@@sg1 0 2 0 10 10 1 2:6869\n@@sg1 0 3 0 10' >"$out"
kill -9 $$
`), 0o755)
	out, errs, code := stapgen(t, "run", "--stap", fake, "--format", "json", bin, "main.Str")
	if code != ExitStap {
		t.Errorf("exit %d, want %d: %s", code, ExitStap, errs)
	}
	evs := parseEvents(t, out)
	if len(evs) != 2 {
		t.Fatalf("%d events:\n%s", len(evs), out)
	}
	for i, want := range []string{"hello", "hi"} {
		if s, _ := evs[i].text(t, "s"); s != want {
			t.Errorf("event %d: %q", i, s)
		}
	}
	if !strings.Contains(out, `"error":"partial record`) {
		t.Errorf("the cut record is not reported:\n%s", out)
	}
}
