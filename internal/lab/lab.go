// Package lab runs SystemTap scripts for real on the project's lab (built by
// lab/setup.sh): the host's BPF runtime, and the kernel-module runtime on a
// Debian kernel under qemu. Tests use it to check generated scripts against
// what traced programs really did.
package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Runtime selects where a script runs.
type Runtime int

const (
	// HostBPF: the host's stap 4.8 with --runtime=bpf (user-space probes).
	HostBPF Runtime = iota
	// VMModule: stap 5.1 compiles a module that runs on the lab kernel in qemu.
	VMModule
	// Trixie: stap 5.1 on the host, for compile-only checks (-p N).
	Trixie
)

func (r Runtime) String() string {
	return [...]string{"host-bpf", "vm-module", "trixie"}[r]
}

// Root is the lab directory ($STAPGEN_LAB, default /var/cache/stapgen-lab).
func Root() string {
	if d := os.Getenv("STAPGEN_LAB"); d != "" {
		return d
	}
	return "/var/cache/stapgen-lab"
}

// ErrMissing means the lab part a runtime needs is not built.
var ErrMissing = errors.New("lab not built (run `make lab`)")

// Stap returns the drop-in stap executable for a runtime.
func Stap(rt Runtime) (string, error) {
	name := [...]string{"stap-host", "stap-vm", "stap51"}[rt]
	p := filepath.Join(Root(), "bin", name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s: %w", p, ErrMissing)
	}
	if rt == VMModule {
		if _, err := os.Stat(filepath.Join(Root(), "kernel", "release")); err != nil {
			return "", fmt.Errorf("lab kernel: %w", ErrMissing)
		}
	}
	return p, nil
}

// Release is the lab kernel's release.
func Release() string {
	b, _ := os.ReadFile(filepath.Join(Root(), "kernel", "release"))
	return strings.TrimSpace(string(b))
}

// Job is one script run.
type Job struct {
	Script  string // the script text
	Runtime Runtime
	// Cmd is run and traced (stap -c); for VMModule it runs in the guest.
	Cmd string
	// Args are extra stap options (-g, -D...).
	Args    []string
	Timeout time.Duration // default 5 minutes
	// Stap overrides the runtime's stap executable (a script of the
	// source tree under test rather than the lab's installed copy).
	Stap string
	// Env is added to stap's environment (stap-vm's STAPVM_MODULES and
	// STAPVM_FILES: what the guest loads and ships).
	Env []string
}

// Result is what a run printed, each channel apart, as stap keeps them:
// no channel's bytes can end up in another.
type Result struct {
	// Output is what the script printed (stap -o).
	Output []byte
	// Stdout is the traced command's standard output; for VMModule its
	// standard error and staprun's messages too, in the order written
	// (stap-vm prints all the guest printed there).
	Stdout []byte
	// Stderr is stap's messages (and the command's standard error, except
	// in the VM).
	Stderr []byte
}

// Lines returns Output split into lines.
func (r *Result) Lines() []string {
	s := strings.TrimRight(string(r.Output), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Run runs a job and returns what it printed; a non-zero stap exit is an
// error that carries stap's stderr.
func Run(ctx context.Context, j Job) (*Result, error) {
	stap, err := Stap(j.Runtime)
	if err != nil {
		return nil, err
	}
	if j.Stap != "" {
		stap = j.Stap
	}
	if j.Timeout == 0 {
		j.Timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, j.Timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "stapgen-lab-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "job.stp")
	out := filepath.Join(dir, "out")
	if err := os.WriteFile(script, []byte(j.Script), 0o644); err != nil {
		return nil, err
	}
	args := append([]string{}, j.Args...)
	if j.Runtime == HostBPF {
		args = append(args, "--runtime=bpf")
	}
	args = append(args, "-o", out, script)
	if j.Cmd != "" {
		args = append(args, "-c", j.Cmd)
	}
	cmd := exec.CommandContext(ctx, stap, args...)
	cmd.Dir = dir
	if len(j.Env) > 0 {
		cmd.Env = append(os.Environ(), j.Env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	res := &Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	res.Output, _ = os.ReadFile(out)
	if runErr != nil {
		return res, fmt.Errorf("%s %s: %w\n%s", filepath.Base(stap), strings.Join(args, " "), runErr, stderr.String())
	}
	return res, nil
}
