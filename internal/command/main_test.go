package command

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// stapgen runs the CLI in-process and returns stdout, stderr and the code.
func stapgen(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb lockedBuffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: os.Getenv}
	// Each test gets its own index cache, shared by its runs (a second
	// query of the lab kernel's modules must not index them again).
	t.Setenv("XDG_CACHE_HOME", testCache(t))
	// A run that hangs is stopped like Ctrl-C would stop it, so the test
	// fails with what stap said instead of the whole package timing out.
	ctx, cancel := context.WithTimeout(context.Background(), runLimit)
	defer cancel()
	code := Main(ctx, append([]string{"stapgen"}, args...), env)
	if ctx.Err() != nil {
		t.Errorf("stapgen %q still running after %s; stopped it\nstderr: %s", args, runLimit, errb.String())
	}
	return out.String(), errb.String(), code
}

// lockedBuffer is a bytes.Buffer several goroutines may write: a run
// copies the traced command's stdout and its stderr to the same Stderr
// from two pipes at once (a terminal's file needs no copy), and a plain
// Buffer lost whole lines that way (seen: TestRunMountdOnHostBPF failing
// 6 times in 6, its MOUNT lines gone).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var testCaches sync.Map // *testing.T → its cache directory

func testCache(t *testing.T) string {
	if d, ok := testCaches.Load(t); ok {
		return d.(string)
	}
	d := t.TempDir()
	testCaches.Store(t, d)
	t.Cleanup(func() { testCaches.Delete(t) })
	return d
}

// runLimit bounds one in-process stapgen run; the VM's own limit is 240 s.
const runLimit = 5 * time.Minute

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}
