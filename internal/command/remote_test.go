package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestRemoteDirect: stap's own remote execution, in its local form
// (--remote direct:, the same code path as ssh without the network): every
// call of the traced command arrives, tagged with the host.
func TestRemoteDirect(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.CFixture(t, testenv.CO0)
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "--remote", "direct:",
		"-c", bin, "--format", "json", bin, "greet")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	evs := parseEvents(t, out)
	want := []string{"world with spaces", "new\nline", ""}
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d\n%s", len(evs), len(want), out)
	}
	for i, e := range evs {
		if e.str("host") != "direct:" {
			t.Errorf("event %d: host %q", i, e.str("host"))
		}
		if want[i] == "" {
			// cfix passes NULL the third time: missing, not an empty string.
			if m, _ := e.field("who")["missing"].(bool); !m {
				t.Errorf("event %d: NULL who = %v, want missing", i, e.field("who"))
			}
			continue
		}
		if got, _ := e.text(t, "who"); got != want[i] {
			t.Errorf("event %d: who = %q, want %q", i, got, want[i])
		}
	}
	// The command's own output shares stap's stdout: it arrives as raw
	// lines, tagged too, never mistaken for records.
	if !strings.Contains(out, `{"host":"direct:","raw":"CALL add a=2 b=40"}`) {
		t.Errorf("the command's output is missing:\n%s", out)
	}
}

// TestRemoteHostsMerged: several hosts run at once, each stream decoded on
// its own and tagged, one host's failure named, the others' events kept.
// The stand-in stap answers like stap --remote HOST would, per host.
func TestRemoteHostsMerged(t *testing.T) {
	bin := testenv.GoFixture(t, testenv.GoDefault)
	fake := filepath.Join(t.TempDir(), "stap")
	os.WriteFile(fake, []byte(`#!/bin/sh
case " $* " in *" -V "*) echo "Systemtap translator/driver (version 5.1/0.192)"; exit 0;; esac
while [ $# -gt 0 ]; do [ "$1" = --remote ] && host=$2; shift; done
case $host in
a) printf '@@sg1 0 1 0 10 10 1 1:61\n@@sg1 0 2 0 10 10 1 2:6161\n' ;;
b) printf '@@sg1 0 3 0 20 20 2 1:62\n' ;;
*) echo "ERROR: cannot connect to $host" >&2; exit 1 ;;
esac
`), 0o755)
	out, errs, code := stapgen(t, "run", "--stap", fake, "--remote", "a", "--remote", "b", "--remote", "down", "--remote", "a",
		"--format", "json", bin, "main.Str")
	if code != ExitStap || !strings.Contains(errs, "down: stap") {
		t.Errorf("exit %d, want %d naming the host that failed:\n%s", code, ExitStap, errs)
	}
	got := map[string][]string{}
	for _, e := range parseEvents(t, out) {
		s, _ := e.text(t, "s")
		got[e.str("host")] = append(got[e.str("host")], s)
	}
	want := map[string][]string{"a": {"a", "aa"}, "b": {"b"}, "a#2": {"a", "aa"}}
	for h, w := range want {
		if strings.Join(got[h], ",") != strings.Join(w, ",") {
			t.Errorf("host %s: %q, want %q", h, got[h], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("hosts %v", got)
	}
}
