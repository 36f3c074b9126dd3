package command

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestCompletion: the printed script, loaded into a real bash, completes
// commands and flags from the built CLI.
func TestCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, file, _, _ := runtime.Caller(0)
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "stapgen"), "./cmd/stapgen")
	build.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, tc := range []struct{ words, want string }{
		{"stapgen ru", "run"},
		{"stapgen run --form", "--format"},
		{"stapgen compl", "completion"},
	} {
		script := `eval "$(stapgen completion bash)"; COMP_WORDS=(` + tc.words + `); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _stapgen; echo "${COMPREPLY[*]}"`
		cmd := exec.Command(bash, "-c", script)
		cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(" "+strings.TrimSpace(string(out))+" ", " "+tc.want+" ") {
			t.Errorf("%q completes to %q (%v), want %q", tc.words, out, err, tc.want)
		}
	}
	_, errs, code := stapgen(t, "completion", "fish")
	if code != ExitUsage {
		t.Errorf("completion fish: exit %d\n%s", code, errs)
	}
}
