package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestReleaseReachesStap: --release (-r, a kernel release or build tree)
// is passed to stap for every kind of target: a user-space probe is a
// kernel module (or BPF program) too, built against that tree. The
// stand-in stap writes down the arguments it was given.
func TestReleaseReachesStap(t *testing.T) {
	goBin := testenv.GoFixture(t, testenv.GoDefault)
	cBin := testenv.CFixture(t, testenv.CO0)
	dir := t.TempDir()
	argsFile := filepath.Join(dir, "args")
	fake := filepath.Join(dir, "stap")
	os.WriteFile(fake, []byte(`#!/bin/sh
case " $* " in *" -V "*) echo "Systemtap translator/driver (version 5.1/0.192)"; exit 0;; esac
echo "$*" >`+argsFile+`
`), 0o755)
	tree := filepath.Join(dir, "build tree")
	script := filepath.Join(dir, "greet.stp")
	if _, errs, code := stapgen(t, "gen", "--stap", fake, "-o", script, cBin, "greet"); code != 0 {
		t.Fatalf("gen: exit %d\n%s", code, errs)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"go", []string{goBin, "main.Str"}},
		{"c", []string{cBin, "greet"}},
		{"script", []string{"--script", script}},
		{"bpf", []string{"--runtime", "bpf", cBin, "greet"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(argsFile)
			args := append([]string{"run", "--stap", fake, "-r", tree, "-c", "true"}, tc.args...)
			if _, errs, code := stapgen(t, args...); code != 0 {
				t.Fatalf("exit %d\n%s", code, errs)
			}
			b, err := os.ReadFile(argsFile)
			if err != nil {
				t.Fatalf("stap did not run: %v", err)
			}
			if !strings.Contains(string(b), "-r "+tree+" ") {
				t.Errorf("stap got %q, without -r %q", b, tree)
			}
		})
	}
}

// TestBuildTreeOnHostBPF: the host's stap, without the lab wrapper's own
// -r, traces a user-space target only because stapgen passes it the build
// tree; the events must be what the program printed.
func TestBuildTreeOnHostBPF(t *testing.T) {
	labStap(t, lab.HostBPF) // the lab's host set-up: memlock interposer, debugfs
	tree := testenv.HostBuildTree(t)
	stap := testenv.NeedTool(t, "stap")
	memlock := filepath.Join(testenv.LabDir(), "host", "memlock.so")
	wrapper := filepath.Join(t.TempDir(), "stap")
	os.WriteFile(wrapper, []byte("#!/bin/sh\nLD_PRELOAD="+memlock+" exec "+stap+" \"$@\"\n"), 0o755)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	out, errs, code := stapgen(t, "run", "--stap", wrapper, "--runtime", "bpf", "--release", tree, "-c", bin, "--format", "json", bin, "main.Str")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	evs := parseEvents(t, out)
	calls := said(t, errs, "CALL")["main.Str"]
	if len(evs) != len(calls) || len(calls) == 0 {
		t.Fatalf("%d events for %d calls\n%s", len(evs), len(calls), out)
	}
	for i, c := range calls {
		want := c["s"]
		if len(want) > 64 {
			want = want[:64] // the BPF runtime's string bound
		}
		if got, _ := evs[i].text(t, "s"); got != want {
			t.Errorf("call %d: %q, want %q", i, got, want)
		}
	}
}
