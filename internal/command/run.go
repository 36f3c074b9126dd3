package command

import (
	"context"
	"fmt"
	"os"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/session"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/urfave/cli/v2"
)

func runCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "generate a script, run stap, and stream decoded events",
		ArgsUsage: "TARGET FUNCTION...",
		Description: `Generates the script (same options as gen), runs stap with the flags the plan needs
(-g only for Go RET-site probes, -d/--ldd for user backtraces, --runtime), and
decodes what it prints. Ctrl-C, --duration or --max-events end the run cleanly:
every record stap printed before the end is decoded and shown.

-c and -x record that process only (on the kernel runtime, with its
descendants: every process -c starts, a shell's commands, a list's and
$(...)'s too; with -x those a few generations down); --all-processes
records every process. With -x, TARGET may be left out: run -x PID FUNCTION... traces the
binary the process runs, read through /proc/PID/root, so a process in a
container is traced by its host PID. On the BPF runtime a -c command that is
a shell pipeline or list records nothing without --all-processes: there the
filter is the target process itself.

The traced command's stdout goes to stderr (to stdout with -o FILE), its
stderr to stderr, untouched; events go to stdout.

Examples:
   stapgen run -c './mountd -n 3' ./mountd syscall.Mount --return --format json
   stapgen run -x $(pidof dockerd) /usr/bin/dockerd syscall.Mount --duration 30s
   stapgen run -x $(pidof containerd) syscall.Mount --duration 30s
   stapgen run kernel lookup_one_qstr_excl --fields name->name --duration 10s
   stapgen run -c ./app ./app open_file --return --where 'return < 0 || (flags & 0x40)'
   stapgen run -c ./app ./app open_file close_file --where 'open_file { !(flags & 1) }'
   stapgen run --script mount.stp -c ./mountd
   stapgen run --remote web1 --remote web2 kernel lookup_one_qstr_excl --duration 10s

With --remote, stap compiles here and runs on each HOST (it needs stap's
runtime there and ssh access); the -c command runs on the host, and its output
shares stap's stdout, so it shows as raw lines among the events.`,
		Flags: append(append(append(targetFlags(), requestFlags()...), outputFlags()...),
			&cli.StringFlag{Name: "cmd", Aliases: []string{"c"}, Usage: "run `CMD` under stap and trace it (stap -c)"},
			&cli.IntFlag{Name: "target-pid", Aliases: []string{"x"}, Usage: "trace the running process `PID` (stap -x); TARGET may then be left out: the binary is the process's own, found through /proc/PID/root (a container's process by its host PID)"},
			&cli.BoolFlag{Name: "all-processes", Usage: "with -c or -x, record every process running the probed code, not only that process (and, on the kernel runtime, its descendants)"},
			&cli.StringFlag{Name: "script", Usage: "run a script written by gen (`FILE`) instead of generating one; TARGET and FUNCTION are then not needed"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the events to `FILE` (in --format) instead of standard output; the traced command's stdout then goes to standard output"},
			&cli.StringFlag{Name: "save", Usage: "also save stap's raw output to `FILE` (decode it later with stapgen decode)"},
			&cli.StringSliceFlag{Name: "stap-arg", Usage: "extra `ARG` passed to stap as is (repeatable), e.g. -DMAXACTION=10000"},
			&cli.StringSliceFlag{Name: "remote", Usage: "run on `HOST` through stap --remote (repeatable: one run per host, events tagged with it); HOST is ssh://[USER@]NAME, NAME, or direct: for this machine"},
		),
		Action: func(c *cli.Context) error { return runAction(c, env) },
	}
}

// runFlags is what run reads from its flags besides the request.
type runFlags struct {
	gen       *session.GenerateOptions // nil with --script
	scriptSrc []byte
	runtime   spec.Runtime // --runtime, when given with --script
	run       session.RunOptions
	remote    []string
	out       outputOptions
	// output is run -o: the events' file, "" for standard output.
	output  string
	verbose bool
}

func runAction(c *cli.Context, env *Env) error {
	if c.IsSet("cmd") && c.IsSet("target-pid") {
		return usagef("-c and -x exclude each other")
	}
	if c.IsSet("remote") && (c.IsSet("target-pid") || c.IsSet("save")) {
		return usagef("--remote works with -c or system-wide probes; -x and --save name one machine's process and file")
	}
	f := runFlags{
		run: session.RunOptions{
			Stap: stapPath(c), Cmd: c.String("cmd"), PID: c.Int("target-pid"), Release: c.String("release"),
			Extra: c.StringSlice("stap-arg"), Save: c.String("save"), ScriptDir: session.ScriptDir(openFlags(c)),
		},
		remote: splitList(c.StringSlice("remote")), out: outputFlagsOf(c), output: c.String("output"), verbose: c.Bool("verbose"),
	}
	if sf := c.String("script"); sf != "" {
		b, err := os.ReadFile(sf)
		if err != nil {
			return withHint(err, ExitUsage, "")
		}
		f.scriptSrc = b
		if c.IsSet("runtime") {
			f.runtime = spec.Runtime(c.String("runtime"))
		}
	} else {
		tgt, fns, err := runTarget(c)
		if err != nil {
			return err
		}
		o, err := generateFlags(c, tgt, fns)
		if err != nil {
			return err
		}
		// -c and -x name the processes to trace; other processes running
		// the same binary (or mapping the same library) are not traced
		// unless asked.
		o.Request.InTarget = (c.IsSet("cmd") || c.IsSet("target-pid")) && !c.Bool("all-processes")
		o.Request.StartsTarget = c.IsSet("cmd")
		f.gen = &o
		if f.out.symbols == "" {
			// Frames are named from the target the script was generated for.
			f.out.symbols = tgt
		}
	}
	return run(c.Context, env, f)
}

// runTarget is run's TARGET and FUNCTIONs. With -x, TARGET may be left
// out: when the first argument is neither a file nor "kernel", every
// argument is a function of the binary the process runs, read through its
// own root (a container's process by its host PID).
func runTarget(c *cli.Context) (string, []string, error) {
	args := c.Args().Slice()
	if pid := c.Int("target-pid"); pid > 0 && (len(args) == 0 || !isTargetArg(args[0])) {
		if len(args) == 0 {
			return "", nil, usagef("%s -x %d: name the FUNCTIONs to trace", c.Command.Name, pid)
		}
		p, err := target.OfProcess(pid)
		if err != nil {
			return "", nil, withHint(err, ExitTarget, "check the PID (ps -p %d); or name the binary as TARGET", pid)
		}
		return p, args, nil
	}
	if err := needArgs(len(args), c.Command.Name, 1, "TARGET (or --script FILE)"); err != nil {
		return "", nil, err
	}
	return args[0], args[1:], nil
}

// isTargetArg tells a TARGET from a function name.
func isTargetArg(a string) bool {
	if a == "kernel" {
		return true
	}
	_, err := os.Stat(a)
	return err == nil
}

// run generates or reads the script, runs it and reports how it went.
func run(ctx context.Context, env *Env, f runFlags) error {
	var s *session.Script
	var err error
	if f.gen != nil {
		s, err = generate(ctx, *f.gen)
	} else {
		s, err = session.ParseScript(f.scriptSrc, f.runtime)
	}
	if err != nil {
		return err
	}
	if f.gen == nil && f.out.symbols == "" {
		// A script written by gen names the binary it was written for.
		f.out.symbols = recordedBinary(env, s.Schema, f.out.open)
	}
	if s.Plan != nil && s.Plan.AllProcesses {
		fmt.Fprintf(env.Stderr, "stapgen: note: %s is a shared library: tracing every process that maps it (-c CMD or -x PID traces one)\n", s.Plan.Target.Path)
	}
	// The output is set up before stap starts: a bad --format costs no run.
	events, cmdOut := env, env.Stderr
	if f.output != "" {
		file, err := os.Create(f.output)
		if err != nil {
			return withHint(err, ExitUsage, "")
		}
		defer file.Close()
		e := *env
		e.Stdout, e.IsTerminal = file, false
		events, cmdOut = &e, env.Stdout
	}
	sink, err := newSink(events, f.out, s.Schema)
	if err != nil {
		return err
	}
	f.run.Sink, f.run.CmdOutput, f.run.CmdStderr = sink, cmdOut, env.Stderr
	if f.verbose {
		f.run.Log = env.Stderr
	}
	if len(f.remote) > 0 {
		return runRemote(ctx, env, s, f, sink)
	}
	if f.run.PID > 0 && s.Runtime == spec.RuntimeKernel {
		// The module's probes must not outlive a container's mounts.
		defer target.HoldMounts(f.run.PID)()
	}
	res, err := session.Run(ctx, s, f.run)
	if err != nil {
		return err
	}
	sink.Close()
	if f.verbose {
		fmt.Fprint(env.Stderr, res.Stderr)
	}
	if res.LeftGroup > 0 {
		fmt.Fprintf(env.Stderr, "stapgen: the -c command is still running (stap leaves it when the script ends first); stop it with: kill -INT -- -%d\n", res.LeftGroup)
	}
	if res.Restarted > 0 {
		fmt.Fprintf(env.Stderr, "stapgen: note: %d entry records dropped: Go's runtime restarted those calls from their entry (stack growth, preemption), so each call has one record\n", res.Restarted)
	}
	if res.LateRestarts > 0 {
		fmt.Fprintln(env.Stderr, lateRestartsWarning(res.LateRestarts))
	}
	if res.Losses.Any() {
		fmt.Fprintf(env.Stderr, "stapgen: warning: stap lost records (%s): the %d events decoded are not all that happened\n", res.Losses, res.Events)
	}
	if res.StapErr != nil {
		if res.Losses.Perf > 0 {
			// stapbpf assembles one printf from several perf events; once
			// one is lost it aborts ("printf already started").
			return withHint(res.StapErr, ExitStap, "stapbpf stops when its perf buffer overflows; trace fewer calls (--where, fewer functions) or use --runtime kernel")
		}
		return explainStapError(res.StapErr, s.Source)
	}
	if res.Losses.Any() {
		fmt.Fprintf(env.Stderr, "hint: %s\n", lossHint(res.Losses))
	}
	if res.DecodeErr != nil {
		return res.DecodeErr
	}
	if res.Interrupted {
		fmt.Fprintf(env.Stderr, "stapgen: interrupted after %d events\n", res.Events)
		return context.Canceled
	}
	return nil
}

// lateRestartsWarning says that n kept entry records may repeat a call.
func lateRestartsWarning(n int) string {
	return fmt.Sprintf("stapgen: warning: %d entry records may repeat a call: the runtime restarted it, and its restart record came over %d ms after the entry (a busy machine), when the entry was already taken as a call", n, event.RestartWindowMS)
}
