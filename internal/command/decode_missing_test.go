package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// TestDecodeMissingRecords: BPF output whose script says it printed three
// records, of which two are there (stapbpf exited before reading the
// last), decodes the two and warns of the one; with all three, no warning.
func TestDecodeMissingRecords(t *testing.T) {
	bin := testenv.GoFixture(t, testenv.GoDefault)
	src, errs, code := stapgen(t, "gen", "--runtime", "bpf", bin, "main.Recurse")
	if code != 0 {
		t.Fatalf("gen: exit %d\n%s", code, errs)
	}
	dir := t.TempDir()
	scriptFile := filepath.Join(dir, "s.stp")
	if err := os.WriteFile(scriptFile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	// Records as stapbpf prints them: each print "\x1fCPU|...\x1e", the
	// count from the end probe, run in user space.
	rec := "\x1f0|@@sg1 0 1000 0 1 7 - 5\n\x1e"
	for _, c := range []struct {
		sent, warn string
	}{
		{"3", "1 records the script printed never arrived"},
		{"2", ""},
	} {
		raw := filepath.Join(dir, "out"+c.sent)
		if err := os.WriteFile(raw, []byte(rec+rec+"\x1f5535|@@sga sent "+c.sent+"\n\x1e"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, errs, code := stapgen(t, "decode", "--script", scriptFile, "--format", "json", raw)
		if code != 0 {
			t.Fatalf("decode: exit %d\n%s", code, errs)
		}
		if n := len(exactEvents(t, out)); n != 2 {
			t.Errorf("sent %s: %d events of 2 records\n%s", c.sent, n, out)
		}
		if got := strings.Contains(errs, "never arrived"); got != (c.warn != "") || !strings.Contains(errs, c.warn) {
			t.Errorf("sent %s: stderr %q, want %q", c.sent, errs, c.warn)
		}
	}
}
