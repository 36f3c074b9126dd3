package command

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/stapgen/stapgen/internal/stap"
	"github.com/urfave/cli/v2"
)

// Version is set at build time (-ldflags -X).
var Version = "dev"

// Env is what commands read from the process: streams and environment.
// Tests supply their own.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// IsTerminal reports whether Stdout is a terminal (for colour).
	IsTerminal bool
}

// Main runs stapgen with args (args[0] is the program name) and returns the
// exit code. Nothing below it exits the process.
func Main(ctx context.Context, args []string, env *Env) int {
	app := NewApp(env)
	unknown := ""
	app.CommandNotFound = func(_ *cli.Context, name string) { unknown = name }
	err := app.RunContext(ctx, hoistFlags(app, args))
	if err == nil && unknown != "" {
		err = usagef("no command %q", unknown)
	}
	if err != nil {
		return printError(env.Stderr, err)
	}
	return ExitOK
}

// NewApp builds the command tree.
func NewApp(env *Env) *cli.App {
	app := &cli.App{
		Name:    "stapgen",
		Usage:   "generate, run and decode SystemTap scripts from debug info",
		Version: fmt.Sprintf("%s (%s)", Version, runtime.Version()),
		Description: `stapgen reads DWARF from a kernel image or an ELF binary (C, C++, Go), writes a
correct SystemTap script for the functions you name, runs stap, and decodes what it
prints into events.

TARGET is a path to an ELF binary, a vmlinux or a kernel module (.ko); "kernel"
for the running kernel (its vmlinux with debug info is looked up where
distributions install it, then its modules' functions); or module:NAME for one
module of that kernel (its debug file from /usr/lib/debug/lib/modules/R, by
build-id, or /lib/modules/R). --release picks another kernel, --root another
system root (a mounted image, unpacked packages).

Typical use:
   stapgen list kernel 'lookup_*'
   stapgen show module:macvlan macvlan_start_xmit
   stapgen show /usr/bin/dockerd syscall.Mount
   stapgen gen  /usr/bin/dockerd syscall.Mount --return -o mount.stp
   stapgen run  -c ./myprog ./myprog main.Handle --fields req.URL --format json
   stapgen doctor

Exit status: 0 done; 1 other failure; 2 bad usage; 3 target missing, not ELF or
without debug info; 4 function not found; 5 request refused (this runtime or stap
cannot do it); 6 stap failed; 7 stap not installed; 8 permission denied;
130 interrupted.`,
		Writer:                 env.Stdout,
		ErrWriter:              env.Stderr,
		Reader:                 env.Stdin,
		ExitErrHandler:         func(*cli.Context, error) {},
		HideHelpCommand:        true,
		UseShortOptionHandling: false,
		EnableBashCompletion:   true,
		// Lists are split by splitList, which keeps commas inside
		// brackets, parentheses and quotes: a --fields
		// '@cast(ctx, "struct x")->n' or a --where string with a comma.
		DisableSliceFlagSeparator: true,
		// Version printing is this app's own flag: urfave/cli's is a
		// package global (cli.VersionPrinter) that every NewApp would
		// reassign.
		HideVersion: true,
		// Help still shows the version, as it does without HideVersion.
		CustomAppHelpTemplate: strings.Replace(cli.AppHelpTemplate, "{{if not .HideVersion}}", "{{if true}}", 1),
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "version", Aliases: []string{"v"}, Usage: "print the version, and which stap would run", DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			switch {
			case c.Bool("version"):
				printVersion(c.Context, env, c.App.Version)
				return nil
			case c.Args().Present():
				// An unknown command: help says so through CommandNotFound.
				return cli.ShowCommandHelp(c, c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			listCommand(env),
			showCommand(env),
			linesCommand(env),
			genCommand(env),
			runCommand(env),
			decodeCommand(env),
			doctorCommand(env),
			probesCommand(env),
			templatesCommand(env),
			completionCommand(env),
		},
		OnUsageError: onUsageError,
	}
	for _, c := range app.Commands {
		c.OnUsageError = onUsageError
	}
	return app
}

func onUsageError(_ *cli.Context, err error, _ bool) error { return usagef("%v", err) }

// DefaultEnv is the real process environment.
func DefaultEnv() *Env {
	fi, err := os.Stdout.Stat()
	return &Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		IsTerminal: err == nil && fi.Mode()&os.ModeCharDevice != 0,
	}
}

// printVersion also says which stap would run, and its version.
func printVersion(ctx context.Context, env *Env, version string) {
	fmt.Fprintf(env.Stdout, "stapgen %s\n", version)
	path := env.Getenv("STAPGEN_STAP")
	if path == "" {
		path = "stap"
	}
	if v, err := (&stap.Runner{Path: path}).Version(ctx); err != nil {
		fmt.Fprintf(env.Stdout, "stap: not usable (%v)\n", err)
	} else {
		fmt.Fprintf(env.Stdout, "stap: %s (%s)\n", v, path)
	}
}

// needArgs checks the positional argument count of command cmd.
func needArgs(n int, cmd string, min int, what string) error {
	if n < min {
		return usagef("%s: missing %s", cmd, what)
	}
	return nil
}
