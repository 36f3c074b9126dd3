package target

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoProcess means a PID names no process whose binary can be read.
var ErrNoProcess = errors.New("no such process")

// OfProcess returns a path on this machine of the binary process pid runs.
// /proc/PID/exe names it in the process's own mount namespace, so the path
// goes through /proc/PID/root: a process in a container (another mount
// namespace) is traced by its host PID, and stap's probe on that path
// reaches the same file.
func OfProcess(pid int) (string, error) {
	if pid <= 0 {
		return "", fmt.Errorf("pid %d: %w", pid, ErrNoProcess)
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("pid %d: %w", pid, ErrNoProcess)
		}
		return "", fmt.Errorf("pid %d: binary: %w", pid, err)
	}
	if strings.HasSuffix(exe, " (deleted)") {
		return "", fmt.Errorf("pid %d runs %s, which was deleted or replaced since it started: probes need the file", pid, exe)
	}
	p := filepath.Join(fmt.Sprintf("/proc/%d/root", pid), exe)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("pid %d: binary %s: %w", pid, exe, err)
	}
	return p, nil
}

// HoldMounts keeps the mount namespace of process pid, when it is not this
// process's own, until release is called: a kernel-module run's probes
// hold the file they are in, and when a namespace's last process exits
// while such a file is only mounted there, the kernel tears the mount down
// under them (seen in the lab VM, stap 5.1 on Linux 6.1: "VFS: Busy inodes
// after unmount of tmpfs", then a BUG in generic_shutdown_super). An open
// namespace file keeps the mounts until the run, and its probes, are gone.
// A namespace that cannot be read (the process ended, no /proc) is not held.
func HoldMounts(pid int) (release func()) {
	own, err1 := os.Readlink("/proc/self/ns/mnt")
	theirs, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pid))
	if pid <= 0 || err1 != nil || err2 != nil || own == theirs {
		return func() {}
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/ns/mnt", pid))
	if err != nil {
		return func() {}
	}
	return func() { f.Close() }
}
