package stap

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// stapbpf (4.8 to 5.x) can miss the end of its -c command and then wait
// forever in pause(): it installs its SIGCHLD handler only after letting
// the command run, so a command that ends in between (a short one on a
// loaded machine) stays an unreaped zombie; and when the handler does run,
// it may run on the perf-reading thread, which leaves the main thread's
// pause() asleep although the exit flag is set. Both were seen here.
//
// A SIGCHLD sent to stapbpf's main thread cures both: the handler reaps the
// command and sets the flag, and pause() returns so the flag is seen. It is
// harmless in every other state: before the handler exists and during the
// end probes SIGCHLD is ignored, and while the command runs the handler
// finds nothing to reap and pause() resumes. It goes to the main thread
// only, because the perf thread ends the run on any interrupted poll().
// So once stapbpf has no live child, watchBPFChild nudges it that way.

// nudgeEvery is how often the process tree is looked at and, when the
// command has ended, stapbpf is nudged.
const nudgeEvery = 500 * time.Millisecond

// watchBPFChild runs until stap has exited.
func (p *Process) watchBPFChild() {
	root := p.cmd.Process.Pid
	t := time.NewTicker(nudgeEvery)
	defer t.Stop()
	seen, said := false, false
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
		}
		bpf, ok := findStapbpf(root)
		if !ok {
			continue
		}
		if hasLiveChild(bpf) {
			seen = true
			continue
		}
		// Before the command starts the nudge is as harmless, and needed
		// when the command lived less than one look.
		if seen && !said {
			fmt.Fprintf(p.stderr, "stapgen: the -c command has ended; nudging stapbpf (pid %d) with SIGCHLD until it notices\n", bpf)
			said = true
		}
		syscall.Tgkill(bpf, bpf, syscall.SIGCHLD)
	}
}

// findStapbpf looks under root (stap, or a wrapper around it) for the
// process named stapbpf.
func findStapbpf(root int) (int, bool) {
	queue := []int{root}
	for depth := 0; len(queue) > 0 && depth < 6; depth++ {
		var next []int
		for _, q := range queue {
			if comm(q) == "stapbpf" {
				return q, true
			}
			next = append(next, children(q)...)
		}
		queue = next
	}
	return 0, false
}

// hasLiveChild says whether pid has a child that is not a zombie.
func hasLiveChild(pid int) bool {
	for _, k := range children(pid) {
		if st := state(k); st != 'Z' && st != 0 {
			return true
		}
	}
	return false
}

func comm(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// children lists pid's children from every thread's children file
// (CONFIG_PROC_CHILDREN; without it nothing is found and nothing is done).
func children(pid int) []int {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil
	}
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// state is the one-letter state in /proc/PID/stat; 0 when pid is gone.
func state(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces and parentheses; the state follows
	// the last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}
