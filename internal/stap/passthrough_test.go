package stap

import (
	"bytes"
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

// TestOutputAtExit: what a stap-like wrapper writes to stdout and stderr
// just before it exits (stap-vm prints the guest's output at the end)
// reaches the writers whole, though they are not files.
func TestOutputAtExit(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "stap")
	os.WriteFile(fake, []byte("#!/bin/sh\nsleep 0.3\nseq 1 20000\nseq 1 3 >&2\n"), 0o755)
	// One writer for the command's stdout and stderr, as run has it.
	var stdout bytes.Buffer
	r := &Runner{Path: fake}
	p, err := r.Start(t.Context(), filepath.Join(dir, "s.stp"), Options{Output: filepath.Join(dir, "out"), Stdout: &stdout, Cmd: "true", CmdStderr: &stdout})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	want, _ := exec.Command("seq", "1", "20000").Output()
	if stdout.String() != string(want) {
		t.Errorf("stdout: %d bytes, want %d", stdout.Len(), len(want))
	}
	if p.Stderr() != "1\n2\n3\n" {
		t.Errorf("stderr %q", p.Stderr())
	}
}
