package command

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// benchShow runs `stapgen show [--no-cache] --json BIN FUNC` in-process
// once per iteration, with its own cache directory (warm after the first
// run unless noCache).
func benchShow(b *testing.B, bin, fn string, noCache bool) {
	b.Setenv("XDG_CACHE_HOME", b.TempDir())
	args := []string{"stapgen", "show", "--json"}
	if noCache {
		args = append(args, "--no-cache")
	}
	args = append(args, bin, fn)
	env := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: os.Getenv}
	if code := Main(context.Background(), args, env); code != 0 {
		b.Fatalf("%q: exit %d", args, code)
	}
	for b.Loop() {
		if code := Main(context.Background(), args, env); code != 0 {
			b.Fatalf("%q: exit %d", args, code)
		}
	}
}

func BenchmarkShowCmdGoWarm(b *testing.B) {
	benchShow(b, testenv.CmdGo(b), "cmd/go/internal/modload.LoadPackages", false)
}

func BenchmarkShowCmdGoCold(b *testing.B) {
	benchShow(b, testenv.CmdGo(b), "cmd/go/internal/modload.LoadPackages", true)
}

func BenchmarkShowContainerdWarm(b *testing.B) {
	benchShow(b, testenv.Corpus(b, "containerd", "usr/bin/containerd"), "os.(*File).Write", false)
}

func BenchmarkShowContainerdCold(b *testing.B) {
	benchShow(b, testenv.Corpus(b, "containerd", "usr/bin/containerd"), "os.(*File).Write", true)
}
