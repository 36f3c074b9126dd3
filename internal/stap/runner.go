package stap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Runner is one stap executable.
type Runner struct {
	// Path is the stap binary ("stap" from PATH when empty).
	Path string
	// Env is added to the process environment.
	Env []string
	// GracePeriod is how long a stopped stap gets to unload its module
	// before SIGKILL; 0 means DefaultGracePeriod.
	GracePeriod time.Duration
}

func (r *Runner) path() string {
	if r.Path == "" {
		return "stap"
	}
	return r.Path
}

// Version of a stap translator.
type Version struct {
	Major, Minor int
	// Elfutils is the elfutils version stap was built with ("0.188").
	Elfutils string
	Line     string
}

// AtLeast reports whether v >= major.minor. A Version without a number
// means unknown and is treated as the newest.
func (v Version) AtLeast(major, minor int) bool {
	if v.Major == 0 && v.Minor == 0 {
		return true
	}
	return v.Major > major || v.Major == major && v.Minor >= minor
}

func (v Version) String() string {
	s := fmt.Sprintf("%d.%d", v.Major, v.Minor)
	if v.Elfutils != "" {
		s += "/" + v.Elfutils
	}
	return s
}

var versionRE = regexp.MustCompile(`version (\d+)\.(\d+)[^/ ]*(?:/([0-9.]+))?`)

// ParseVersion reads the first line of `stap -V`.
func ParseVersion(out string) (Version, error) {
	m := versionRE.FindStringSubmatch(out)
	if m == nil {
		return Version{}, fmt.Errorf("unrecognised stap version output %q", firstLine(out))
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	return Version{Major: a, Minor: b, Elfutils: m[3], Line: firstLine(out)}, nil
}

// Version runs stap -V.
func (r *Runner) Version(ctx context.Context) (Version, error) {
	out, err := r.versionOutput(ctx)
	if err != nil {
		return Version{}, err
	}
	return ParseVersion(out)
}

func (r *Runner) versionOutput(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, r.path(), "-V")
	cmd.Env = append(os.Environ(), r.Env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", classifyStart(r.path(), err, string(out))
	}
	return string(out), nil
}

// Options are the stap command-line options stapgen uses.
type Options struct {
	// Runtime is "kernel" (default) or "bpf".
	Runtime string
	Cmd     string // -c: run and trace this command
	PID     int    // -x: trace this process
	Release string // -r: another kernel release or build tree
	Output  string // -o: write script output here
	// Stdout receives stap's own stdout when Output is set (the -c
	// command's output); nil discards it.
	Stdout io.Writer
	// CmdStderr, when set, receives the -c command's stderr apart from
	// stap's messages, byte for byte; nil leaves it in stap's stderr.
	CmdStderr io.Writer
	// Remote runs the script on this host (stap --remote: "ssh://HOST",
	// "HOST", or "direct:" for this machine through the same path).
	Remote string
	// Pass stops after pass N (1-4) when non-zero.
	Pass  int
	Extra []string // anything else, e.g. -g, -d BIN, --ldd, -DNAME=VAL
}

// Args is the stap argument list for running script with o.
func (o Options) Args(script string) []string {
	var a []string
	if o.Runtime == "bpf" {
		a = append(a, "--runtime=bpf")
	}
	if o.Release != "" {
		a = append(a, "-r", o.Release)
	}
	if o.Pass > 0 {
		a = append(a, "-p", strconv.Itoa(o.Pass))
	}
	if o.Output != "" {
		a = append(a, "-o", o.Output)
	}
	if o.Remote != "" {
		a = append(a, "--remote", o.Remote)
	}
	a = append(a, o.Extra...)
	a = append(a, script)
	if o.Cmd != "" {
		a = append(a, "-c", o.Cmd)
	}
	if o.PID > 0 {
		a = append(a, "-x", strconv.Itoa(o.PID))
	}
	return a
}

// maxStderr bounds the stderr kept in memory; the rest is counted.
const maxStderr = 1 << 20

// boundedBuffer keeps the first maxStderr bytes written to it, and counts
// stap's loss reports in all of them.
type boundedBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	dropped int
	losses  lossScanner
}

func (w *boundedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.losses.write(p)
	room := maxStderr - w.b.Len()
	if room < len(p) {
		if room > 0 {
			w.b.Write(p[:room])
		}
		w.dropped += len(p) - max(room, 0)
		return len(p), nil
	}
	return w.b.Write(p)
}

func (w *boundedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dropped > 0 {
		return w.b.String() + fmt.Sprintf("\n[%d more bytes of stderr dropped]\n", w.dropped)
	}
	return w.b.String()
}

// Process is a running stap.
type Process struct {
	cmd    *exec.Cmd
	stdout io.ReadCloser
	stderr *boundedBuffer
	outs   *outputs
	done   chan struct{} // closed when stap has exited
}

// DefaultGracePeriod is long enough for the module runtime to unload a
// module with many probes on a loaded machine.
const DefaultGracePeriod = 15 * time.Second

// Start runs stap on script. Cancelling ctx sends SIGINT to stap's process
// group, as a terminal's Ctrl-C would: stap stops its probes and flushes
// what they printed, and the -c command gets the signal too. SIGKILL
// follows after the grace period.
func (r *Runner) Start(ctx context.Context, script string, o Options) (*Process, error) {
	p := &Process{stderr: &boundedBuffer{}, outs: &outputs{}, done: make(chan struct{})}
	env := append(os.Environ(), r.Env...)
	if o.Cmd != "" && o.CmdStderr != nil {
		f, err := p.outs.held(o.CmdStderr)
		if err != nil {
			return nil, err
		}
		env = append(env, cmdStderrEnv+"="+fileLink(f))
		o.Cmd = wrapCmd(o.Cmd)
	}
	cmd := exec.CommandContext(ctx, r.path(), o.Args(script)...)
	p.cmd = cmd
	cmd.Env = env
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = r.GracePeriod
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = DefaultGracePeriod
	}
	// Its own process group: a terminal's Ctrl-C reaches stapgen, which then
	// stops stap in order, instead of killing both at once.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var err error
	if cmd.Stderr, err = p.outs.writer(p.stderr); err != nil {
		p.outs.abort()
		return nil, err
	}
	if o.Output != "" {
		if o.Stdout != nil {
			if cmd.Stdout, err = p.outs.writer(o.Stdout); err != nil {
				p.outs.abort()
				return nil, err
			}
		}
	} else {
		out, err := cmd.StdoutPipe()
		if err != nil {
			p.outs.abort()
			return nil, err
		}
		p.stdout = out
	}
	if err := cmd.Start(); err != nil {
		p.outs.abort()
		return nil, classifyStart(r.path(), err, "")
	}
	p.outs.started()
	if o.Runtime == "bpf" && o.Cmd != "" {
		go p.watchBPFChild()
	}
	return p, nil
}

// Stdout is what the script prints (nil when Options.Output was set).
func (p *Process) Stdout() io.Reader { return p.stdout }

// Stderr is what stap printed on stderr so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// Losses is what stap reported lost so far.
func (p *Process) Losses() Losses {
	p.stderr.mu.Lock()
	defer p.stderr.mu.Unlock()
	return p.stderr.losses.l
}

// LeftGroup is the process group stap ran in when something in it still
// runs after stap exited (the -c command: stap leaves it running when the
// script ends by itself), 0 when nothing does. Call it after Wait.
func (p *Process) LeftGroup() int {
	if p.cmd.Process == nil {
		return 0
	}
	pgid := p.cmd.Process.Pid
	if syscall.Kill(-pgid, 0) != nil {
		return 0
	}
	return pgid
}

// Stop asks stap to end the run (SIGINT).
func (p *Process) Stop() {
	if p.cmd.Process != nil {
		p.cmd.Process.Signal(os.Interrupt)
	}
}

// Wait waits for stap to exit and classifies a failure. Read Stdout to the
// end before calling Wait.
func (p *Process) Wait() error {
	err := p.cmd.Wait()
	p.outs.stop()
	close(p.done)
	if err == nil {
		return nil
	}
	// A run stopped through its context (Ctrl-C, a time limit) that exited
	// cleanly on SIGINT is a normal end, not a failure.
	if st := p.cmd.ProcessState; st != nil {
		ws, _ := st.Sys().(syscall.WaitStatus)
		if st.Success() || ws.Signaled() && ws.Signal() == syscall.SIGINT {
			return nil
		}
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		st, _ := ee.Sys().(syscall.WaitStatus)
		if st.Signaled() && st.Signal() == syscall.SIGINT {
			return nil // stopped on request
		}
		return Classify(p.stderr.String(), ee.ExitCode())
	}
	return fmt.Errorf("stap: %w", err)
}

// Check runs stap through pass n (2: resolve probes and types; 4: compile)
// and returns a classified error when it fails.
func (r *Runner) Check(ctx context.Context, script string, o Options, n int) error {
	o.Pass = n
	o.Cmd, o.PID, o.Output = "", 0, ""
	cmd := exec.CommandContext(ctx, r.path(), o.Args(script)...)
	cmd.Env = append(os.Environ(), r.Env...)
	var stderr boundedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return Classify(stderr.String(), ee.ExitCode())
		}
		return classifyStart(r.path(), err, stderr.String())
	}
	return nil
}

func classifyStart(path string, err error, out string) error {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		return &Error{Class: ClassNotInstalled, Summary: fmt.Sprintf("stap not found (%s)", path),
			Hint: "install systemtap (apt-get install systemtap; dnf install systemtap), or give its path with --stap or $STAPGEN_STAP", Err: err}
	}
	if errors.Is(err, os.ErrPermission) {
		return &Error{Class: ClassPermission, Summary: fmt.Sprintf("cannot run %s: permission denied", path), Hint: "check the file's permissions", Err: err}
	}
	if out != "" {
		return Classify(out, -1)
	}
	return fmt.Errorf("run %s: %w", path, err)
}

func firstLine(s string) string {
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
