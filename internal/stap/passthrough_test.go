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

// TestSharedWriter: two children's outputs copied into one buffer (a
// command's stdout and stderr into an Env's) keep every byte of both.
func TestSharedWriter(t *testing.T) {
	var o outputs
	var buf bytes.Buffer
	a, err := o.writer(&buf)
	if err != nil {
		t.Fatal(err)
	}
	b, err := o.held(&buf)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8; do echo out$i; echo err$i >&2; done")
	cmd.Stdout, cmd.Stderr = a, b
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	o.started()
	cmd.Wait()
	o.stop()
	for i := 1; i <= 8; i++ {
		for _, w := range []string{"out", "err"} {
			if !strings.Contains(buf.String(), w+strconv.Itoa(i)+"\n") {
				t.Errorf("%s%d missing from %q", w, i, buf.String())
			}
		}
	}
}
