package command

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// cacheMode is how a benchmarked show meets the function cache.
type cacheMode int

const (
	warm    cacheMode = iota // the entry is there (issue 19: under 20 ms)
	first                    // an empty cache: computed, then stored
	noCache                  // --no-cache: computed only
)

// benchShow runs `stapgen show --json BIN FUNC` in-process once per
// iteration. The process's own start (about 7 ms for the stapgen binary)
// is not in it.
func benchShow(b *testing.B, bin, fn string, mode cacheMode) {
	dir := b.TempDir()
	b.Setenv("XDG_CACHE_HOME", dir)
	args := []string{"stapgen", "show", "--json"}
	if mode == noCache {
		args = append(args, "--no-cache")
	}
	args = append(args, bin, fn)
	env := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: os.Getenv}
	run := func() {
		if code := Main(context.Background(), args, env); code != 0 {
			b.Fatalf("%q: exit %d", args, code)
		}
	}
	run()
	for b.Loop() {
		if mode == first {
			b.StopTimer()
			os.RemoveAll(dir)
			os.MkdirAll(dir, 0o700)
			b.StartTimer()
		}
		run()
	}
}

const cmdGoFunc = "cmd/go/internal/modload.LoadPackages"

func BenchmarkShowCmdGoWarm(b *testing.B)    { benchShow(b, testenv.CmdGo(b), cmdGoFunc, warm) }
func BenchmarkShowCmdGoFirst(b *testing.B)   { benchShow(b, testenv.CmdGo(b), cmdGoFunc, first) }
func BenchmarkShowCmdGoNoCache(b *testing.B) { benchShow(b, testenv.CmdGo(b), cmdGoFunc, noCache) }

// containerd is stripped: os.(*File).Write is typed from Go 1.19's source.
func containerd(b *testing.B) string { return testenv.Corpus(b, "containerd", "usr/bin/containerd") }

const containerdFunc = "os.(*File).Write"

func BenchmarkShowContainerdWarm(b *testing.B)  { benchShow(b, containerd(b), containerdFunc, warm) }
func BenchmarkShowContainerdFirst(b *testing.B) { benchShow(b, containerd(b), containerdFunc, first) }
func BenchmarkShowContainerdNoCache(b *testing.B) {
	benchShow(b, containerd(b), containerdFunc, noCache)
}
