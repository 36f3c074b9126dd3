package command

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// buildExample builds examples/mountd to bin.
func buildExample(t *testing.T, bin string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	cmd := exec.Command("go", "build", "-o", bin, "./examples/mountd")
	cmd.Dir = root
	cmd.Env = os.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build mountd: %v\n%s", err, out)
	}
}
