package target

import (
	"errors"
	"os"
	"os/exec"
	"testing"
)

// TestOfProcess: the binary of a running process is found through its own
// root, and it is the file the process runs (same inode as what
// os.Executable and exec name).
func TestOfProcess(t *testing.T) {
	p, err := OfProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	a, err1 := os.Stat(p)
	b, err2 := os.Stat(self)
	if err1 != nil || err2 != nil || !os.SameFile(a, b) {
		t.Errorf("OfProcess(self) = %s, not the test binary %s (%v, %v)", p, self, err1, err2)
	}
	// A process that has ended.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := OfProcess(cmd.Process.Pid); !errors.Is(err, ErrNoProcess) {
		t.Errorf("ended process: %v, want ErrNoProcess", err)
	}
	if _, err := OfProcess(0); !errors.Is(err, ErrNoProcess) {
		t.Errorf("pid 0: %v", err)
	}
}
