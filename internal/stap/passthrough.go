package stap

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// A run ends when stap exits, not when every holder of its output pipes
// has closed them: the -c command inherits them, and stap leaves it
// running when the script ends (exit(), a time limit), so waiting for
// end-of-file on them can take the command's whole life. stapgen therefore
// owns the pipes it reads (exec waits for none of them) and drains each for
// at most drainTime once stap has exited.
const drainTime = 200 * time.Millisecond

// copier moves a pipe's bytes to a writer until end-of-file, or until
// stop gives up on a writer still held open by a left-over command.
type copier struct {
	r    *os.File
	w    *os.File // the write end, when stapgen must hold it open
	done chan struct{}
}

// pipeTo returns the write end of a pipe whose bytes reach w; the caller
// gives it to the child and closes it after the child started.
func pipeTo(w io.Writer) (*os.File, *copier, error) {
	r, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	c := &copier{r: r, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		io.Copy(w, r)
	}()
	return pw, c, nil
}

// stop waits for the copy to reach end-of-file, for at most drainTime
// more, then closes the read end.
func (c *copier) stop() {
	if c == nil {
		return
	}
	if c.w != nil {
		c.w.Close()
	}
	c.r.SetReadDeadline(time.Now().Add(drainTime))
	<-c.done
	c.r.Close()
}

// cmdStderrEnv names, in stap's environment, the file the -c command's
// stderr is to be reopened on (see wrapCmd).
const cmdStderrEnv = "STAPGEN_CMD_STDERR"

// wrapCmd makes the -c command put its stderr where path (a /proc/PID/fd
// link of stapgen's) leads, instead of on stap's stderr, which stapgen
// reads for stap's own messages. stap does not pass extra file
// descriptors to the command, but it passes its environment, so the
// command's shell reopens the file by that link. Where the link does not
// lead anywhere (stap-vm's guest, a remote host: the variable is not
// there), the command runs exactly as before. The shell execs the
// command, so its pid stays the one stap's target() names.
//
// A simple command is exec'd as stap would run it; a list or pipeline runs
// in a shell of its own, as stap runs one, exec'd in its turn.
func wrapCmd(cmd string) string { return "/bin/sh -c " + shellQuote(wrapScript(cmd)) }

// wrapScript is the wrapping shell's script.
func wrapScript(cmd string) string {
	run := cmd
	if strings.ContainsAny(cmd, ";&|()`\n") {
		run = "/bin/sh -c " + shellQuote(cmd)
	}
	return `if [ -n "$` + cmdStderrEnv + `" ] && (: >>"$` + cmdStderrEnv + `") 2>/dev/null; then exec 2>>"$` + cmdStderrEnv + `"; fi; unset ` + cmdStderrEnv + `; exec ` + run
}

// shellQuote is s in single quotes, for sh and for stap's word expansion
// of -c alike.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fileLink is a path that opens the same file as f from another process.
func fileLink(f *os.File) string {
	return fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), f.Fd())
}

// outputs are the pipes and files of one stap process.
type outputs struct {
	mu      sync.Mutex
	copiers []*copier
	closeMe []*os.File // write ends to close once the child has started
	// locks serialise the copiers that share a writer (the command's
	// stdout and stderr both going to one buffer): io.Copy would call a
	// bytes.Buffer's ReadFrom from two goroutines, each resetting what the
	// other wrote (a test's Env lost all of a -c command's output).
	locks map[io.Writer]*sync.Mutex
}

// lockedWriter writes through one lock per underlying writer; it has no
// ReadFrom, so io.Copy writes what it reads, a piece at a time.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// shared is w behind its lock.
func (o *outputs) shared(w io.Writer) io.Writer {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.locks == nil {
		o.locks = map[io.Writer]*sync.Mutex{}
	}
	mu := o.locks[w]
	if mu == nil {
		mu = &sync.Mutex{}
		o.locks[w] = mu
	}
	return lockedWriter{mu, w}
}

// writer returns what a child's descriptor should be for w: w itself when
// it is a file (nothing to copy, nothing to wait for), else a pipe.
func (o *outputs) writer(w io.Writer) (*os.File, error) {
	if f, ok := w.(*os.File); ok {
		return f, nil
	}
	pw, c, err := pipeTo(o.shared(w))
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	o.copiers = append(o.copiers, c)
	o.closeMe = append(o.closeMe, pw)
	o.mu.Unlock()
	return pw, nil
}

// held is writer for a descriptor the child opens by its /proc link
// after it started: stapgen keeps the write end open until stop.
func (o *outputs) held(w io.Writer) (*os.File, error) {
	if f, ok := w.(*os.File); ok {
		return f, nil
	}
	pw, c, err := pipeTo(o.shared(w))
	if err != nil {
		return nil, err
	}
	c.w = pw
	o.mu.Lock()
	o.copiers = append(o.copiers, c)
	o.mu.Unlock()
	return pw, nil
}

// started closes the parent's copies of the write ends.
func (o *outputs) started() {
	for _, f := range o.closeMe {
		f.Close()
	}
	o.closeMe = nil
}

// stop drains every pipe (stap has exited).
func (o *outputs) stop() {
	for _, c := range o.copiers {
		c.stop()
	}
}

// abort undoes writer's pipes when the child could not start.
func (o *outputs) abort() {
	o.started()
	for _, c := range o.copiers {
		if c.w != nil {
			c.w.Close()
		}
		c.r.Close()
	}
}
