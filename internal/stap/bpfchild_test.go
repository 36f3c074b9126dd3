package stap

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a fake stapbpf (run through a symlink of that
// name, so its comm matches). STAPGEN_FAKE_STAPBPF=race starts the -c
// command and does not reap it until a SIGCHLD comes, as stapbpf does when
// the command ended before its handler was installed; it exits 0 then, and
// 3 when left waiting. =reap reaps the command and then takes a while to
// end, as stapbpf running its end probes does; SIGCHLD is ignored then.
func TestMain(m *testing.M) {
	if mode := os.Getenv("STAPGEN_FAKE_STAPBPF"); mode != "" {
		os.Exit(fakeStapbpf(mode))
	}
	os.Exit(m.Run())
}

func fakeStapbpf(mode string) int {
	pid, err := syscall.ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{})
	if err != nil {
		return 4
	}
	if mode == "reap" {
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, 0, nil)
		time.Sleep(4 * nudgeEvery)
		return 0
	}
	time.Sleep(2 * nudgeEvery) // the command is a zombie by now
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGCHLD)
	select {
	case <-sig:
		var ws syscall.WaitStatus
		if got, _ := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); got != pid {
			return 5
		}
		return 0
	case <-time.After(time.Minute):
		return 3
	}
}

func fakeStap(t *testing.T, mode string) *Runner {
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(dir, "stapbpf")); err != nil {
		t.Fatal(err)
	}
	// stap runs stapbpf as its child, as the real one does.
	script := "#!/bin/sh\nSTAPGEN_FAKE_STAPBPF=" + mode + " " + filepath.Join(dir, "stapbpf") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "stap"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return &Runner{Path: filepath.Join(dir, "stap")}
}

// TestBPFMissedChild: a -c command that stapbpf missed ends the run
// (instead of a hang); a stapbpf that saw it end is left to finish.
func TestBPFMissedChild(t *testing.T) {
	for _, mode := range []string{"race", "reap"} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			o := Options{Runtime: "bpf", Cmd: "true", Output: filepath.Join(t.TempDir(), "out")}
			start := time.Now()
			p, err := fakeStap(t, mode).Start(ctx, "x.stp", o)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Wait(); err != nil {
				t.Fatalf("%v\n%s", err, p.Stderr())
			}
			if ctx.Err() != nil {
				t.Fatal("the run only ended through its time limit")
			}
			if mode == "reap" && time.Since(start) < 4*nudgeEvery {
				t.Errorf("stapbpf was cut short after %v", time.Since(start))
			}
		})
	}
}
