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
