package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true), where nothing may
// be skipped: a missing tool or lab is a failure there.
func InCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "0" && v != "false"
}

// Need skips the test when ok is false, or fails it under CI.
func Need(t testing.TB, ok bool, format string, args ...any) {
	t.Helper()
	if ok {
		return
	}
	if InCI() {
		t.Fatalf("required under CI: "+format, args...)
	}
	t.Skipf("skipped: "+format, args...)
}

// NeedTool is Need for a program on PATH; it returns the program's path.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	Need(t, err == nil, "%s not installed (run `make deps`)", name)
	return p
}

// Long marks a test that is not a unit test: it runs stap, boots the lab's
// VM, reads the lab kernel or builds something big. `go test -short` (make
// test-short) skips it, under CI too: -short asks for unit tests only.
func Long(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("skipped under -short: %s", what)
	}
}

// NeedStap is NeedTool for stap, whose runs are never unit tests (Long).
func NeedStap(t testing.TB) string {
	t.Helper()
	Long(t, "runs stap")
	return NeedTool(t, "stap")
}

// VMMark is in the name of every top-level test that boots the lab VM: make
// test runs those tests (go test -run VMMark) in lanes of their own beside
// the others (lab/lanes.sh). A VM test spends its time in one qemu under TCG
// or one module compile, so the lanes keep both cores of a CI machine busy.
const VMMark = "InVM"

// InVM marks a test that boots the lab VM. One named without VMMark would
// run in the lane meant for the others and lengthen it, so it fails.
func InVM(t testing.TB) {
	t.Helper()
	top, _, _ := strings.Cut(t.Name(), "/")
	if !strings.Contains(top, VMMark) {
		t.Fatalf("%s boots the lab VM, so its name must hold %q (make test runs those tests in lanes of their own)", top, VMMark)
	}
}
