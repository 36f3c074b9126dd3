package command

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestOutputsOnHostBPF: with run -o FILE the events (JSON, the summary its
// last JSON line) go to FILE, the traced command's stdout to stdout byte
// for byte as it prints it untraced, its stderr to stderr; decode of the
// --save output gives the same events, without the header line as one.
func TestOutputsOnHostBPF(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	var alone, aloneErr strings.Builder
	cmd := exec.Command(bin, "-loops", "2")
	cmd.Stdout, cmd.Stderr = &alone, &aloneErr
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file, raw := filepath.Join(dir, "events.json"), filepath.Join(dir, "raw")
	stdout, stderr, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "--format", "json", "--summary",
		"-o", file, "--save", raw, "-c", bin+" -loops 2", bin, "main.Str")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, tail(stderr))
	}
	if stdout != alone.String() {
		t.Errorf("the command's stdout under stapgen differs from its stdout alone:\n%s\n--- alone:\n%s", stdout, alone.String())
	}
	if aloneErr.String() != "gofix: done\n" || strings.Count(stderr, aloneErr.String()) != 1 {
		t.Errorf("the command's stderr line %q is not on stderr once:\n%s", aloneErr.String(), tail(stderr))
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	var sum struct {
		Summary struct {
			Counts []struct {
				Probe, Site string
				Count       int
			}
		}
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil || len(sum.Summary.Counts) != 1 {
		t.Fatalf("the last line is no JSON summary: %q (%v)", lines[len(lines)-1], err)
	}
	all := parseEvents(t, strings.Join(lines[:len(lines)-1], "\n"))
	if sum.Summary.Counts[0].Count != len(all) || sum.Summary.Counts[0].Probe != "main.Str" {
		t.Errorf("summary %+v of %d events", sum.Summary, len(all))
	}
	if evs, want := dropRepeats(t, all, "s"), len(strCalls(t, alone.String())); len(evs) != want {
		t.Errorf("%d events; the program called main.Str %d times", len(evs), want)
	}
	decoded, derr, code := stapgen(t, "decode", "--format", "json", raw)
	if code != ExitOK {
		t.Fatalf("decode: exit %d\n%s", code, derr)
	}
	if d := strings.Join(lines[:len(lines)-1], "\n") + "\n"; decoded != d {
		t.Errorf("decode of the saved output:\n%s\n--- run's events:\n%s", decoded, d)
	}
}
