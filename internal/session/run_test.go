package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/script"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
	"github.com/stapgen/stapgen/internal/testenv"
)

// collect is a Sink that keeps the events, safe for RunRemote's goroutines.
type collect struct {
	mu  sync.Mutex
	evs []event.Event
}

func (c *collect) Event(e event.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evs = append(c.evs, e)
	return nil
}

// strings of the events' first field, raw lines as "raw:LINE".
func (c *collect) values() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.evs {
		switch {
		case e.Probe < 0:
			out = append(out, "raw:"+e.Raw)
		case len(e.Fields) > 0:
			out = append(out, e.Host+string(e.Fields[0].Bytes))
		}
	}
	return out
}

// streamed is a Sink that writes each event's JSON at once and says it
// streams, safe for RunRemote's goroutines.
type streamed struct {
	mu    sync.Mutex
	lines []string
}

func (s *streamed) Event(e event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, string(e.AppendJSON(nil)))
	return nil
}

func (s *streamed) Streams() bool { return true }

// generated is the script for main.Str of the Go fixture.
func generated(t *testing.T) *Script {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	req := &spec.Request{Probes: []spec.Probe{{Function: "main.Str", Entry: true}}, Runtime: spec.RuntimeKernel}
	if err := req.Normalize(); err != nil {
		t.Fatal(err)
	}
	s, err := Generate(context.Background(), GenerateOptions{
		Target: testenv.GoFixture(t, testenv.GoDefault), Request: req, StapVersion: &stap.Version{Major: 5, Minor: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeStap writes a stand-in for stap: body runs with $out set to the -o
// file (when given) and $host to the --remote host.
func fakeStap(t *testing.T, body string) string {
	p := filepath.Join(t.TempDir(), "stap")
	os.WriteFile(p, []byte(`#!/bin/sh
case " $* " in *" -V "*) echo "Systemtap translator/driver (version 5.1/0.192)"; exit 0;; esac
while [ $# -gt 0 ]; do case $1 in -o) out=$2;; --remote) host=$2;; esac; shift; done
`+body), 0o755)
	return p
}

// TestGenerateThenParse: a generated script read back (run --script)
// carries the same schema, stap options and runtime as the plan.
func TestGenerateThenParse(t *testing.T) {
	s := generated(t)
	if s.Plan == nil || !strings.Contains(string(s.Source), "main.Str") {
		t.Fatalf("script without its plan or probe:\n%s", s.Source)
	}
	r, err := ParseScript(s.Source, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Schema, &s.Plan.Schema) || !slices.Equal(r.StapArgs, s.Plan.StapArgs) || r.Runtime != s.Plan.Runtime {
		t.Errorf("read back %+v %q %s; planned %+v %q %s", r.Schema, r.StapArgs, r.Runtime, s.Plan.Schema, s.Plan.StapArgs, s.Plan.Runtime)
	}
	if r, _ := ParseScript(s.Source, spec.RuntimeBPF); r.Runtime != spec.RuntimeBPF {
		t.Errorf("runtime %s, want the override", r.Runtime)
	}
}

// TestRun: the records stap writes arrive in order, the raw output is
// saved behind the schema, stap's losses and failure are reported, and
// the traced command's output goes where asked.
func TestRun(t *testing.T) {
	s := generated(t)
	fake := fakeStap(t, `echo "CMD OUTPUT"
printf '@@sg1 0 1 0 10 10 1 5:68656c6c6f\n' >"$out"
sleep 0.2
printf '@@sg1 0 2 0 10 10 1 2:6869\n' >>"$out"
echo "WARNING: There were 3 transport failures." >&2
exit 1
`)
	save := filepath.Join(t.TempDir(), "saved")
	var sink collect
	var cmdOut, log strings.Builder
	res, err := Run(context.Background(), s, RunOptions{Stap: fake, Cmd: "true", Save: save, Sink: &sink, CmdOutput: &cmdOut, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(sink.values(), ","); got != "hello,hi" || res.Events != 2 {
		t.Errorf("events %q (%d counted), want hello,hi", got, res.Events)
	}
	if res.Losses.Transport != 3 || res.StapErr == nil || res.Interrupted || res.DecodeErr != nil {
		t.Errorf("result %+v", res)
	}
	if cmdOut.String() != "CMD OUTPUT\n" || !strings.Contains(log.String(), fake+" ") || !strings.Contains(log.String(), " -c true") {
		t.Errorf("command output %q, log %q", cmdOut.String(), log.String())
	}
	b, err := os.ReadFile(save)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := script.ReadSchema(b)
	if err != nil || !reflect.DeepEqual(saved, s.Schema) || strings.Count(string(b), "@@sg1 ") != 2 {
		t.Errorf("saved output (%v):\n%s", err, b)
	}
}

// TestRunInterrupted: cancelling the context stops stap with SIGINT;
// what it wrote is delivered and the run is not a failure. A stap that
// ignores SIGINT is killed after the grace period.
func TestRunInterrupted(t *testing.T) {
	s := generated(t)
	for _, tc := range []struct {
		name, trap string
	}{
		{"stops on SIGINT", `trap 'exit 0' INT`},
		{"ignores SIGINT", `trap '' INT`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := fakeStap(t, tc.trap+`
printf '@@sg1 0 1 0 10 10 1 5:68656c6c6f\n' >"$out"
i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
`)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			var sink collect
			start := time.Now()
			res, err := Run(ctx, s, RunOptions{Stap: fake, Sink: &sink, GracePeriod: 500 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %s: the grace period did not end it", took)
			}
			if !res.Interrupted || res.StapErr != nil || strings.Join(sink.values(), ",") != "hello" {
				t.Errorf("result %+v, events %q", res, sink.values())
			}
		})
	}
}

// TestRunRemote: each host's stream is decoded apart and tagged; a host
// given twice gets a second label; one host failing leaves the others'.
func TestRunRemote(t *testing.T) {
	s := generated(t)
	fake := fakeStap(t, `case $host in
a) printf '@@sg1 0 1 0 10 10 1 1:61\n' ;;
b) printf 'a line\n@@sg1 0 3 0 20 20 2 1:62\n' ;;
*) echo "ERROR: cannot connect to $host" >&2; exit 1 ;;
esac
`)
	var sink collect
	results, interrupted, err := RunRemote(context.Background(), s, []string{"a", "b", "down", "a"}, RunOptions{Stap: fake, Sink: &sink})
	if err != nil || interrupted {
		t.Fatal(err, interrupted)
	}
	var got []string
	for _, r := range results {
		got = append(got, r.Host+"="+map[bool]string{true: "failed", false: "ok"}[r.Err != nil]+"/"+string(rune('0'+r.Events)))
	}
	if strings.Join(got, " ") != "a=ok/1 b=ok/1 down=failed/0 a#2=ok/1" {
		t.Errorf("results %q", got)
	}
	// A sink that streams gets the same events, its hosts' decoders
	// reusing their memory.
	var st streamed
	if _, _, err := RunRemote(context.Background(), s, []string{"a", "b", "down", "a"}, RunOptions{Stap: fake, Sink: &st}); err != nil {
		t.Fatal(err)
	}
	if !(hostSink{"a", &st}).Streams() {
		t.Error("a host's sink does not stream when its sink does")
	}
	var kept []string
	for _, e := range sink.evs {
		kept = append(kept, string(e.AppendJSON(nil)))
	}
	slices.Sort(kept)
	slices.Sort(st.lines)
	if !slices.Equal(kept, st.lines) || len(kept) != 4 {
		t.Errorf("streamed %q\nkept %q", st.lines, kept)
	}
	vals := sink.values()
	for _, w := range []string{"aa", "bb", "a#2a", "raw:a line"} {
		found := false
		for _, v := range vals {
			found = found || v == w
		}
		if !found {
			t.Errorf("no event %q in %q", w, vals)
		}
	}
}

// TestRunBoundsScriptDir: a run that keeps its script prunes the script
// directory to the 256 most recently used scripts, never one used in the
// last day nor its own (which stap then reads), and leaves other files.
func TestRunBoundsScriptDir(t *testing.T) {
	s := generated(t)
	dir := t.TempDir()
	old := time.Now().Add(-48 * time.Hour)
	for i := range 300 {
		p := filepath.Join(dir, fmt.Sprintf("old%03d.stp", i))
		if err := os.WriteFile(p, []byte("probe begin { exit() }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		at := old.Add(time.Duration(i) * time.Second)
		if i < 3 {
			at = time.Now().Add(-time.Hour) // fresh, and beyond the count
		}
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(other, old, old); err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(dir, ScriptName(s.Source))
	fake := fakeStap(t, `grep -q main.Str '`+kept+`' && echo "SCRIPT READ"`)
	var cmdOut, log strings.Builder
	if _, err := Run(context.Background(), s, RunOptions{Stap: fake, Cmd: "true", Sink: &collect{}, CmdOutput: &cmdOut, Log: &log, ScriptDir: dir}); err != nil {
		t.Fatal(err)
	}
	if cmdOut.String() != "SCRIPT READ\n" || !strings.Contains(log.String(), kept) {
		t.Errorf("stap did not get the kept script: %q, %s", cmdOut.String(), log.String())
	}
	// The 256 most recently used: its own, the 3 fresh, old048 to old299.
	left, _ := filepath.Glob(filepath.Join(dir, "*.stp"))
	if len(left) != 256 {
		t.Errorf("%d scripts left, want 256", len(left))
	}
	for _, p := range []string{kept, filepath.Join(dir, "old000.stp"), filepath.Join(dir, "old048.stp"), filepath.Join(dir, "old299.stp"), other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed", filepath.Base(p))
		}
	}
	for _, p := range []string{"old003.stp", "old047.stp"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			t.Errorf("%s, among the least recently used, kept", p)
		}
	}
}
