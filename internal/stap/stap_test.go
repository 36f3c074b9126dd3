package stap

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stapgen/stapgen/internal/testenv"
)

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]string{
		"Systemtap translator/driver (version 4.8/0.188, Debian version 4.8-2)\nCopyright": "4.8/0.188",
		"Systemtap translator/driver (version 5.1/0.192, Debian version 5.1-5)":            "5.1/0.192",
		"Systemtap translator/driver (version 5.2~pre17234/0.190, commit ...)":             "5.2/0.190",
	} {
		v, err := ParseVersion(in)
		if err != nil || v.String() != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %s", in, v, err, want)
		}
	}
	if _, err := ParseVersion("bash: stap: command not found"); err == nil {
		t.Error("garbage accepted")
	}
}

func TestArgs(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, "s.stp"},
		{Options{Runtime: "bpf", Cmd: "./a b", Output: "/tmp/o"}, "--runtime=bpf -o /tmp/o s.stp -c ./a b"},
		{Options{PID: 42, Release: "6.1.0", Extra: []string{"-g", "-d", "/bin/x", "--ldd"}, Pass: 2}, "-r 6.1.0 -p 2 -g -d /bin/x --ldd s.stp -x 42"},
	} {
		if got := strings.Join(tc.o.Args("s.stp"), " "); got != tc.want {
			t.Errorf("Args(%+v) = %q, want %q", tc.o, got, tc.want)
		}
	}
}

var update = flag.Bool("update", false, "save the real stap stderr of TestClassifyRealStderr in testdata")

// realStderr runs the host stap and returns its classified failure.
func realStderr(t *testing.T, r *Runner, o Options, script string) *Error {
	t.Helper()
	dir := t.TempDir()
	os.Chmod(dir, 0o755) // readable by the unprivileged user of the permission case
	f := filepath.Join(dir, "s.stp")
	os.WriteFile(f, []byte(script), 0o644)
	err := r.Check(context.Background(), f, o, 4)
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("want a *stap.Error, got %v", err)
	}
	// -update keeps this stap's words for TestClassifySavedStderr, which
	// then checks them on machines without stap.
	if *update {
		name := strings.NewReplacer(" ", "-", "/", "-").Replace(t.Name())
		saved := strings.ReplaceAll(se.Stderr, dir, "/tmp/TESTDIR")
		os.WriteFile(filepath.Join("testdata", name+".stderr"), []byte(saved), 0o644)
	}
	return se
}

// TestClassifyRealStderr provokes each failure class with the real stap.
func TestClassifyRealStderr(t *testing.T) {
	testenv.NeedStap(t)
	bt := testenv.HostBuildTree(t)
	host := &Runner{Path: "/usr/bin/stap"}
	withTree := Options{Release: bt}
	goBin := testenv.GoFixture(t, testenv.GoDefault)

	t.Run("no build tree", func(t *testing.T) {
		e := realStderr(t, host, Options{}, `probe begin { exit() }`)
		if e.Class != ClassNoKernelBuildTree || !strings.Contains(e.Hint, "linux-headers-") {
			t.Errorf("%v: %+v", e.Class, e)
		}
	})
	t.Run("semantic", func(t *testing.T) {
		e := realStderr(t, host, withTree, `probe process("`+goBin+`").function("main.Str") { println($nosuchvar) }`)
		if e.Class != ClassSemantic || e.Identifier != "nosuchvar" || e.Line != 1 {
			t.Errorf("%v %q line %d: %s", e.Class, e.Identifier, e.Line, e.Stderr)
		}
	})
	t.Run("no kernel debuginfo", func(t *testing.T) {
		// The host has a build tree from the lab but no vmlinux with DWARF.
		e := realStderr(t, host, withTree, `probe kernel.function("vfs_read") { exit() }`)
		if e.Class != ClassNoDebugInfo || !strings.Contains(e.Hint, "-dbg") {
			t.Errorf("%v: %s", e.Class, e.Stderr)
		}
	})
	t.Run("no kprobes", func(t *testing.T) {
		// Where the kernel has kprobes the same run must not be taken
		// for their absence: the check runs both ways instead of skipping.
		_, statErr := os.Stat("/sys/kernel/debug/tracing/kprobe_events")
		hasKprobes := statErr == nil
		f := filepath.Join(t.TempDir(), "s.stp")
		os.WriteFile(f, []byte(`probe kprobe.function("vfs_read") { exit() }`), 0o644)
		p, err := (&Runner{Path: "/usr/bin/stap", Env: []string{"LD_PRELOAD=" + filepath.Join(filepath.Dir(filepath.Dir(bt)), "host", "memlock.so")}}).Start(context.Background(), f, Options{Release: bt, Runtime: "bpf"})
		if err != nil {
			t.Fatal(err)
		}
		drain(p)
		var e *Error
		err = p.Wait()
		noKprobes := errors.As(err, &e) && e.Class == ClassNoKprobes
		if noKprobes == hasKprobes {
			t.Errorf("kprobe_events present=%v, but err = %v\n%s", hasKprobes, err, p.Stderr())
		}
	})
	t.Run("parse", func(t *testing.T) {
		e := realStderr(t, host, withTree, `probe begin { x = }`)
		if e.Class != ClassParse {
			t.Errorf("%v: %s", e.Class, e.Stderr)
		}
	})
	t.Run("no such binary", func(t *testing.T) {
		e := realStderr(t, host, withTree, `probe process("/nonexistent/bin").function("f") { }`)
		if e.Class != ClassSemantic {
			t.Errorf("%v: %s", e.Class, e.Stderr)
		}
	})
	t.Run("not installed", func(t *testing.T) {
		_, err := (&Runner{Path: "/nonexistent/stap"}).Version(context.Background())
		var e *Error
		if !errors.As(err, &e) || e.Class != ClassNotInstalled || e.Hint == "" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("bpf memlock", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "s.stp")
		os.WriteFile(f, []byte(`probe process("`+goBin+`").function("main.Str") { printf("%d\n", $s->len) }`), 0o644)
		p, err := host.Start(context.Background(), f, Options{Release: bt, Runtime: "bpf", Cmd: goBin})
		if err != nil {
			t.Fatal(err)
		}
		drain(p)
		err = p.Wait()
		var e *Error
		if err == nil {
			// This machine lets stapbpf raise RLIMIT_MEMLOCK: the run
			// worked, so there is nothing to classify, and nothing may be.
			if c := Classify(p.Stderr(), 0).Class; c == ClassBPFMemlock {
				t.Errorf("a successful run classified as %v:\n%s", c, p.Stderr())
			}
			return
		}
		if !errors.As(err, &e) || e.Class != ClassBPFMemlock {
			t.Errorf("err = %v (%s)", err, p.Stderr())
		}
	})
	t.Run("permission", func(t *testing.T) {
		testenv.NeedTool(t, "setpriv")
		// Everything the unprivileged user touches must be readable by it.
		f, err := os.CreateTemp("", "stapgen-perm-*.stp")
		if err != nil {
			t.Fatal(err)
		}
		defer os.Remove(f.Name())
		f.WriteString("probe begin { exit() }\n")
		f.Close()
		os.Chmod(f.Name(), 0o644)
		wrapper := f.Name() + ".sh"
		os.WriteFile(wrapper, []byte("#!/bin/sh\ncd /\nexec setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/stap \"$@\"\n"), 0o755)
		defer os.Remove(wrapper)
		p, err := (&Runner{Path: wrapper}).Start(context.Background(), f.Name(), withTree)
		if err != nil {
			t.Fatal(err)
		}
		drain(p)
		var e *Error
		if err := p.Wait(); !errors.As(err, &e) || e.Class != ClassPermission || e.Hint == "" {
			t.Errorf("err = %v\n%s", err, p.Stderr())
		}
		if *update {
			os.WriteFile(filepath.Join("testdata", "TestClassifyRealStderr-permission.stderr"), []byte(p.Stderr()), 0o644)
		}
	})
}

func drain(p *Process) {
	if r := p.Stdout(); r != nil {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
		}
	}
}

// TestStopDeliversEverything: a run stopped by cancellation ends cleanly
// and everything printed before the stop arrives. A shell script stands in
// for stap: it prints, then waits for SIGINT and prints a last line.
func TestStopDeliversEverything(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "fake-stap")
	os.WriteFile(fake, []byte(`#!/bin/sh
trap 'echo last; exit 0' INT
i=0
while [ $i -lt 3 ]; do echo "line $i"; i=$((i+1)); done
while :; do sleep 0.05; done
`), 0o755)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := (&Runner{Path: fake}).Start(ctx, "x.stp", Options{})
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(p.Stdout())
	var got []string
	for sc.Scan() {
		got = append(got, sc.Text())
		if len(got) == 3 {
			time.AfterFunc(100*time.Millisecond, cancel)
		}
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("Wait after SIGINT = %v", err)
	}
	if strings.Join(got, "|") != "line 0|line 1|line 2|last" {
		t.Errorf("got %q", got)
	}
}

func TestClassifyUnknownKeepsMeaningfulLine(t *testing.T) {
	e := Classify("Pass 1: parsed\nERROR: something specific broke\nTip: read the manual\n", 1)
	if e.Class != ClassUnknown || e.Summary != "ERROR: something specific broke" {
		t.Errorf("%+v", e)
	}
}

// TestClassifySavedStderr keeps the classifier honest on stderr captured
// from real stap runs (rewritten by TestClassifyRealStderr).
func TestClassifySavedStderr(t *testing.T) {
	want := map[string]Class{
		"TestClassifyRealStderr-no_build_tree.stderr":       ClassNoKernelBuildTree,
		"TestClassifyRealStderr-semantic.stderr":            ClassSemantic,
		"TestClassifyRealStderr-parse.stderr":               ClassParse,
		"TestClassifyRealStderr-no_such_binary.stderr":      ClassSemantic,
		"TestClassifyRealStderr-permission.stderr":          ClassPermission,
		"TestClassifyRealStderr-no_kernel_debuginfo.stderr": ClassNoDebugInfo,
		// stap 4.8 --runtime bpf -p4 on three strings in one handler, and
		// on stapgen's mountd script before strings had handlers of their
		// own.
		"bpf-stack-registers.stderr": ClassBPFLimit,
		"bpf-stack-tmp-space.stderr": ClassBPFLimit,
		// stap 5.1 in the lab VM, a global filled past 2,048 keys.
		"vm-array-overflow.stderr": ClassMapFull,
	}
	for name, class := range want {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if got := Classify(string(b), 1).Class; got != class {
			t.Errorf("%s: %v, want %v", name, got, class)
		}
	}
}
