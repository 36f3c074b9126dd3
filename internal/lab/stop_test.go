package lab

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStopSignalInVM: a signal to stap-vm stops the guest's staprun as a
// terminal's Ctrl-C would, whether it comes while the script runs or while
// the guest still boots: the -c command (which would sleep for ten
// minutes) gets SIGINT, as staprun reports, the end probe runs, every
// record reaches -o (as the module prints them: "first record" watches
// the file), and stap-vm exits well before its own timeout.
func TestStopSignalInVM(t *testing.T) {
	need(t, VMModule)
	for _, tc := range []struct {
		name  string
		sig   syscall.Signal
		first bool          // signal after the first record, not at the boot
		bound time.Duration // from the signal to stap-vm's exit
		x     bool          // -x on a daemon instead of -c: stapio takes the SIGINT itself
	}{
		{"SIGINT while running", syscall.SIGINT, true, 10 * time.Second, false},
		{"SIGTERM while running", syscall.SIGTERM, true, 10 * time.Second, false},
		{"SIGINT at the boot", syscall.SIGINT, false, 90 * time.Second, false},
		{"SIGINT while running -x", syscall.SIGINT, true, 10 * time.Second, true},
		{"SIGINT at the boot -x", syscall.SIGINT, false, 90 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			script, out := filepath.Join(dir, "s.stp"), filepath.Join(dir, "out")
			src := "global n\nprobe timer.ms(100) { printf(\"tick %d\\n\", n++) }\nprobe end { printf(\"end %d\\n\", n) }\n"
			if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(sourceStapVM(), "-o", out, script, "-c", "sleep 600")
			cmd.Env = append(os.Environ(), "STAPVM_TIMEOUT=240")
			if tc.x {
				cmd = exec.Command(sourceStapVM(), "-o", out, script, "-x", "1")
				cmd.Env = append(os.Environ(), "STAPVM_TIMEOUT=240", "STAPVM_DAEMON=sleep 600")
			}
			cmd.Dir = dir
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			defer func() { cmd.Process.Kill(); <-done }()
			// stap-vm creates -o just before qemu starts.
			for {
				b, err := os.ReadFile(out)
				if err == nil && (!tc.first || bytes.Contains(b, []byte("tick "))) {
					break
				}
				select {
				case <-done:
					t.Fatalf("stap-vm ended before the signal: %v\n%s%s", cmd.ProcessState, stdout.String(), stderr.String())
				case <-time.After(50 * time.Millisecond):
				}
			}
			at := time.Now()
			cmd.Process.Signal(tc.sig)
			select {
			case <-done:
			case <-time.After(tc.bound):
				t.Fatalf("stap-vm still running %v after %v", tc.bound, tc.sig)
			}
			t.Logf("stap-vm exited %v after %v", time.Since(at).Round(time.Millisecond), tc.sig)
			b, _ := os.ReadFile(out)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			m := regexp.MustCompile(`^end (\d+)$`).FindStringSubmatch(lines[len(lines)-1])
			if m == nil {
				t.Fatalf("the end probe's record is not the last: %q\n%s", lines[len(lines)-1], stderr.String())
			}
			if n, _ := strconv.Atoi(m[1]); n != len(lines)-1 || (tc.first && n == 0) {
				t.Errorf("end says %s ticks, -o holds %d", m[1], len(lines)-1)
			}
			if !tc.x && !strings.Contains(stdout.String(), "Child process exited with signal 2") {
				t.Errorf("the -c command did not get SIGINT:\n%s", stdout.String())
			}
		})
	}
}
