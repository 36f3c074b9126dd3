package testenv

import (
	"os"
	"os/exec"
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
