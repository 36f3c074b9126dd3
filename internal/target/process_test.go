package target

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stapgen/stapgen/internal/testenv"
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

// TestHoldMounts: the mount namespace of a process in one of its own
// (unshare -m, a tmpfs mounted there) is held by an open file of this
// process until release, also after the process exits; this process's own
// namespace is not held.
func TestHoldMounts(t *testing.T) {
	none := heldNamespaces(t)
	self := HoldMounts(os.Getpid())
	if got := heldNamespaces(t); fmt.Sprint(got) != fmt.Sprint(none) {
		t.Errorf("its own namespace is held: %v, before %v", got, none)
	}
	self()
	unshare, err := exec.LookPath("unshare")
	testenv.Need(t, err == nil, "unshare (util-linux) is not installed")
	testenv.Need(t, os.Geteuid() == 0, "unshare -m needs root")
	dir := t.TempDir()
	cmd := exec.Command(unshare, "-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs ns "+dir+" && exec sleep 30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var ns string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		own, _ := os.Readlink("/proc/self/ns/mnt")
		ns, _ = os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", cmd.Process.Pid))
		if ns != "" && ns != own {
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", cmd.Process.Pid)); strings.Contains(string(b), " "+dir+" ") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d did not get its own mount namespace with %s mounted", cmd.Process.Pid, dir)
		}
	}
	before := heldNamespaces(t)
	release := HoldMounts(cmd.Process.Pid)
	if got := heldNamespaces(t); got[ns] != before[ns]+1 {
		t.Fatalf("%s is not held: open namespace files %v", ns, got)
	}
	cmd.Process.Kill()
	cmd.Wait()
	release()
	if got := heldNamespaces(t); got[ns] != before[ns] {
		t.Errorf("%s still held after release: %v", ns, got)
	}
}

// heldNamespaces counts this process's open files per namespace they name.
func heldNamespaces(t *testing.T) map[string]int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, fd := range fds {
		if l, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasPrefix(l, "mnt:[") {
			n[l]++
		}
	}
	return n
}
