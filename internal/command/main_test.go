package command

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// stapgen runs the CLI in-process and returns stdout, stderr and the code.
func stapgen(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: os.Getenv}
	// Each test gets its own index cache.
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	code := Main(context.Background(), append([]string{"stapgen"}, args...), env)
	return out.String(), errb.String(), code
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}
