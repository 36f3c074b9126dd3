// Command stapgen generates, runs and decodes SystemTap scripts from the
// debug info of kernels, C and Go binaries. See `stapgen --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/stapgen/stapgen/internal/command"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := command.Main(ctx, os.Args, command.DefaultEnv())
	stop()
	os.Exit(code)
}
