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

// TestChannelsFramedInVM: the VM's channels (records, what the guest
// printed, the exit status, the kernel console) arrive each on its own,
// byte for byte. The guest command prints what the old console-scraping
// took for something else: a line shaped like a kernel message (dropped
// before, and the kind of line once reported as stap's error), a forged
// exit-status line, a bare CR, a last line without newline (which the old
// status line was glued to); and it makes the kernel log a line on the
// console while it runs, which must reach no channel at all.
func TestChannelsFramedInVM(t *testing.T) {
	need(t, VMModule)
	cmd := `/bin/sh -c 'echo "[    0.008000] </TASK>"; printf "cr\r\n"; echo "STAPVM_EXIT_0123456789abcdef=7" >&2; echo "<2>stapgen-kmsg-line" >/dev/kmsg; echo to-stderr >&2; printf "no newline"'`
	res, err := Run(context.Background(), Job{Runtime: VMModule, Stap: sourceStapVM(), Cmd: cmd,
		Script: `probe begin { printf("R1\n") } probe end { printf("R2\n") }`})
	if err != nil {
		t.Fatalf("%v\nstdout:\n%s", err, res.Stdout) // the forged status 7 is not the exit status
	}
	if got, want := string(res.Output), "R1\nR2\n"; got != want {
		t.Errorf("records = %q, want %q", got, want)
	}
	// The guest's stdout and stderr, in the order written: what stap
	// prints of a -c command, on stap-vm's stdout.
	want := "[    0.008000] </TASK>\ncr\r\nSTAPVM_EXIT_0123456789abcdef=7\nto-stderr\nno newline"
	if got := string(res.Stdout); got != want {
		t.Errorf("guest output = %q\nwant           %q", got, want)
	}
	for name, b := range map[string][]byte{"records": res.Output, "stdout": res.Stdout, "stderr": res.Stderr} {
		if strings.Contains(string(b), "stapgen-kmsg-line") {
			t.Errorf("the kernel's console line reached %s:\n%s", name, b)
		}
	}
}
