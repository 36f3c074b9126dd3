package stap

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestShellQuote: a quoted word reads back as itself.
func TestShellQuote(t *testing.T) {
	for _, s := range []string{"", "a b", "it's", `'"$x\`, `a'\''b`} {
		out, err := exec.Command("/bin/sh", "-c", "printf %s "+shellQuote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("shellQuote(%q) reads back as %q (%v)", s, out, err)
		}
	}
}

// TestWrapCmd: the wrapped -c command writes its stderr where the variable
// leads and its stdout where it was, keeps the PID stap started (a simple
// command is exec'd), runs a list whole, and runs as before where the
// variable leads nowhere.
func TestWrapCmd(t *testing.T) {
	dir := t.TempDir()
	errFile := filepath.Join(dir, "stderr")
	for _, tc := range []struct {
		name, cmd, env, out, err string
		samePID                  bool
	}{
		{"simple", `/bin/sh -c 'echo $$'`, errFile, "PID\n", "", true},
		{"quotes", `printf '%s\n' "it's"`, errFile, "it's\n", "", true},
		{"list", `echo a; echo b >&2 && echo c`, errFile, "a\nc\n", "b\n", false},
		{"nowhere", `echo a; echo b >&2`, filepath.Join(dir, "no", "such"), "a\n", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.WriteFile(errFile, nil, 0o644)
			// stap word-expands the -c string into these words, and execs.
			if w := wrapCmd(tc.cmd); w != "/bin/sh -c "+shellQuote(wrapScript(tc.cmd)) {
				t.Fatalf("wrapCmd = %s", w)
			}
			cmd := exec.Command("/bin/sh", "-c", wrapScript(tc.cmd))
			cmd.Env = append(os.Environ(), cmdStderrEnv+"="+tc.env)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			want := strings.ReplaceAll(tc.out, "PID", strconv.Itoa(cmd.Process.Pid))
			if stdout.String() != want {
				t.Errorf("stdout %q, want %q", stdout.String(), want)
			}
			b, _ := os.ReadFile(errFile)
			if tc.env == errFile && string(b) != tc.err {
				t.Errorf("stderr file %q, want %q (stderr %q)", b, tc.err, stderr.String())
			}
			if tc.name == "nowhere" && !strings.Contains(stderr.String(), "b") {
				t.Errorf("stderr %q: the command's stderr should stay where it was", stderr.String())
			}
		})
	}
}

// TestSharedDestination: the command's stdout and its separate stderr may
// go to one writer that is not a file (an in-process caller's buffer);
// what stap's stdout carries right before stap exits must reach it. A
// copier idle in bytes.Buffer.ReadFrom used to cut the buffer back over it.
func TestSharedDestination(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "stap")
	// Like stap-vm: the guest's output on stdout at the very end, the
	// records to -o.
	os.WriteFile(fake, []byte("#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = -o ] && : >\"$2\"; shift; done\necho guest-output\n"), 0o755)
	for i := 0; i < 20; i++ {
		var shared bytes.Buffer
		p, err := (&Runner{Path: fake}).Start(context.Background(), filepath.Join(dir, "s.stp"),
			Options{Cmd: "true", Output: filepath.Join(dir, "records"), Stdout: &shared, CmdStderr: &shared})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Wait(); err != nil {
			t.Fatal(err)
		}
		if got := shared.String(); got != "guest-output\n" {
			t.Fatalf("run %d: shared writer holds %q", i, got)
		}
	}
}
