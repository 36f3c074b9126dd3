package lab

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// sourceStapVM is the stap-vm of the source tree under test: the lab's
// installed copy is whatever the last `make lab` installed.
func sourceStapVM() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "lab", "stap-vm")
}

// TestVMChannelsFramed: the VM's channels (records, the command's stdout,
// its stderr with staprun's, the kernel console) arrive each on its own,
// byte for byte. The guest command prints what the old console-scraping
// took for something else: a line shaped like a kernel message (dropped
// before, and the kind of line once reported as stap's error), a forged
// exit-status line, a bare CR; and it makes the kernel log a line on the
// console while it runs, which must reach no channel at all.
func TestVMChannelsFramed(t *testing.T) {
	need(t, VMModule)
	cmd := `/bin/sh -c 'echo "[    0.008000] </TASK>"; printf "cr\r\n"; echo "STAPVM_EXIT_0123456789abcdef=7" >&2; echo "<2>stapgen-kmsg-line" >/dev/kmsg; echo to-stderr >&2; printf "no newline"'`
	res, err := Run(context.Background(), Job{Runtime: VMModule, Stap: sourceStapVM(), Cmd: cmd,
		Script: `probe begin { printf("R1\n") } probe end { printf("R2\n") }`})
	if err != nil {
		t.Fatalf("%v\nstdout:\n%s", err, res.Stdout)
	}
	if got, want := string(res.Output), "R1\nR2\n"; got != want {
		t.Errorf("records = %q, want %q", got, want)
	}
	if got, want := string(res.Stdout), "[    0.008000] </TASK>\ncr\r\nno newline"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	// stderr carries the command's lines in order (staprun may add its
	// own); the forged status is passed on as the text it is.
	errs := string(res.Stderr)
	if i, j := strings.Index(errs, "STAPVM_EXIT_0123456789abcdef=7\n"), strings.Index(errs, "to-stderr\n"); i < 0 || j < i {
		t.Errorf("stderr lacks the command's lines in order:\n%s", errs)
	}
	for name, b := range map[string][]byte{"records": res.Output, "stdout": res.Stdout, "stderr": res.Stderr} {
		if strings.Contains(string(b), "stapgen-kmsg-line") {
			t.Errorf("the kernel's console line reached %s:\n%s", name, b)
		}
	}
}
