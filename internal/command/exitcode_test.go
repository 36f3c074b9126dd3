package command

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// oneLine checks stderr is one error line, optionally with one hint line,
// and no Go stack trace.
func oneLine(t *testing.T, args []string, errs string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if len(lines) > 2 || !strings.HasPrefix(lines[0], "stapgen: ") || len(lines) == 2 && !strings.HasPrefix(lines[1], "hint: ") ||
		strings.Contains(errs, "goroutine ") || strings.Contains(errs, "panic") {
		t.Errorf("%q: stderr is not one line plus a hint:\n%s", args, errs)
	}
}

// TestExitCodes: each class of failure a user can cause has its own exit
// code and one line on stderr, and nothing on stdout.
func TestExitCodes(t *testing.T) {
	bin := testenv.GoFixture(t, testenv.GoDefault)
	dir := t.TempDir()
	// A stap that fails the way stap does on a probe point it cannot place.
	badStap := filepath.Join(dir, "stap")
	os.WriteFile(badStap, []byte(`#!/bin/sh
case " $* " in *" -V "*) echo "Systemtap translator/driver (version 5.1/0.192)"; exit 0;; esac
echo "semantic error: while resolving probe point: identifier 'process' at x.stp:1:7" >&2
echo "Pass 2: analysis failed.  [man error::pass2]" >&2
exit 1
`), 0o755)
	notExec := filepath.Join(dir, "stap-not-executable")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644)
	emptyTemplates := filepath.Join(dir, "templates")
	os.Mkdir(emptyTemplates, 0o755)
	for _, tc := range []struct {
		code int
		args []string
	}{
		{ExitUsage, []string{"run", "--format", "xml", bin, "main.Str"}},
		// badStap would fail with ExitStap: the usage error comes first.
		{ExitUsage, []string{"run", "--stap", badStap, "--format", "folded", "-c", bin, bin, "main.Str"}},
		{ExitUsage, []string{"run", "-c", "true", "-x", "1", bin, "main.Str"}},
		{ExitUsage, []string{"run", "--duration", "soon", bin, "main.Str"}},
		{ExitUsage, []string{"run", "--script", filepath.Join(dir, "missing.stp")}},
		{ExitUsage, []string{"gen", bin}},
		{ExitUsage, []string{"decode", "--format", "json"}},
		{ExitUsage, []string{"no-such-command"}},
		// A file named by a flag that is not there is the flag's problem.
		{ExitUsage, []string{"gen", "--probe-file", filepath.Join(dir, "missing.probe"), bin}},
		{ExitUsage, []string{"gen", "--templates", filepath.Join(dir, "no-templates"), bin, "main.Str"}},
		{ExitUsage, []string{"gen", "--templates", emptyTemplates, bin, "main.Str"}},
		{ExitUsage, []string{"decode", filepath.Join(dir, "missing.out")}},
		{ExitTarget, []string{"show", "--release", "0.0-no-such-release", "kernel", "vfs_read"}},
		{ExitTarget, []string{"show", filepath.Join(dir, "missing"), "main.Str"}},
		{ExitTarget, []string{"gen", dir, "main.Str"}},
		{ExitNotFound, []string{"show", bin, "main.NoSuchFunction"}},
		{ExitNotFound, []string{"list", bin, "main.NoSuch*"}},
		{ExitRefused, []string{"gen", "--runtime", "bpf", "--return", bin, "main.Str"}},
		{ExitStap, []string{"run", "--stap", badStap, "-c", bin, bin, "main.Str"}},
		{ExitNoStap, []string{"run", "--stap", filepath.Join(dir, "no-stap-here"), "-c", bin, bin, "main.Str"}},
		{ExitPermission, []string{"run", "--stap", notExec, "-c", bin, bin, "main.Str"}},
		// What no class names: the output directory is missing.
		{ExitError, []string{"gen", "--stap-version", "5.1", "-o", filepath.Join(dir, "no-dir", "x.stp"), bin, "main.Str"}},
		{ExitArch, []string{"list", testenv.GoFixture(t, testenv.GoARM64), "main.*"}},
	} {
		out, errs, code := stapgen(t, tc.args...)
		if code != tc.code {
			t.Errorf("%q: exit %d, want %d\n%s", tc.args, code, tc.code, errs)
		}
		if out != "" {
			t.Errorf("%q: printed on stdout: %q", tc.args, out)
		}
		oneLine(t, tc.args, errs)
	}
}

// TestPermissionDenied: a user who is not root gets one line, exit code 8
// and a hint, whether it is a target they cannot read or the real stap
// refusing them. The CLI runs as nobody, so it is a built binary.
func TestPermissionDenied(t *testing.T) {
	if os.Getuid() != 0 {
		testenv.Need(t, false, "needs root to run the CLI as another user")
	}
	stap := testenv.NeedStap(t)
	cbin := testenv.CFixture(t, testenv.CO0)
	// Directories nobody can enter, except the one holding the CLI.
	pub, err := os.MkdirTemp("", "stapgen-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(pub) })
	os.Chmod(pub, 0o755)
	cli := filepath.Join(pub, "stapgen")
	_, file, _, _ := runtime.Caller(0)
	build := exec.Command("go", "build", "-o", cli, "./cmd/stapgen")
	build.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	secret := filepath.Join(t.TempDir(), "cfix") // t.TempDir is 0700, root's
	b, _ := os.ReadFile(cbin)
	os.WriteFile(secret, b, 0o755)
	// A binary nobody can read: copied into its own world-readable dir.
	shared := filepath.Join(pub, "cfix")
	os.WriteFile(shared, b, 0o755)
	// A probe file nobody can read: its flag's hint must not hide that the
	// cause is a permission (exit 8, not 2).
	probe := filepath.Join(t.TempDir(), "greet.probe")
	os.WriteFile(probe, []byte("probe greet\n"), 0o644)
	for _, args := range [][]string{
		{"list", secret},
		{"run", "--stap", stap, "-c", shared, shared, "greet"},
		{"gen", "--probe-file", probe, shared},
	} {
		cmd := exec.Command(cli, args...)
		cmd.Dir = pub
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + pub, "XDG_CACHE_HOME=" + pub}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != ExitPermission || !strings.Contains(stderr.String(), "hint: ") {
			t.Errorf("%q as nobody: exit %d, want %d with a hint\n%s", args, code, ExitPermission, stderr.String())
		}
		oneLine(t, args, stderr.String())
	}
}

// TestInterruptedExitCode: a run stopped from outside (Ctrl-C is a
// cancelled context) exits 130 and says how many events it delivered. The
// stand-in stap writes one record and waits for its SIGINT like stap.
func TestInterruptedExitCode(t *testing.T) {
	bin := testenv.GoFixture(t, testenv.GoDefault)
	fake := filepath.Join(t.TempDir(), "stap")
	os.WriteFile(fake, []byte(`#!/bin/sh
case " $* " in *" -V "*) echo "Systemtap translator/driver (version 5.1/0.192)"; exit 0;; esac
while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done
trap 'exit 0' INT
printf '@@sg1 0 1 0 10 10 1 5:68656c6c6f\n' >"$out"
while :; do sleep 0.1; done
`), 0o755)
	var out, errb syncBuffer
	out.ch = make(chan struct{}, 1)
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: os.Getenv}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), runLimit)
	defer cancel()
	go func() {
		// Interrupt once the record is out.
		for range out.ch {
			if strings.Contains(out.String(), "hello") {
				cancel()
				return
			}
		}
	}()
	code := Main(ctx, []string{"stapgen", "run", "--stap", fake, "--format", "json", bin, "main.Str"}, env)
	if code != ExitInterrupted || !strings.Contains(errb.String(), "interrupted after 1 events") {
		t.Errorf("exit %d, want %d, saying 1 event was delivered:\n%s", code, ExitInterrupted, errb.String())
	}
	if evs := parseEvents(t, out.String()); len(evs) != 1 {
		t.Errorf("%d events delivered, want the 1 stap wrote:\n%s", len(evs), out.String())
	}
}
