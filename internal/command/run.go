package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/report"
	"github.com/stapgen/stapgen/internal/script"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
	"github.com/urfave/cli/v2"
)

func outputFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "format", Value: "table", Usage: "`FORMAT` of events: table (aligned, live), json (one event per line), summary (counts and latency histograms at the end) or folded (backtraces counted as folded stacks for flame graphs; needs --backtrace)"},
		&cli.StringFlag{Name: "symbols", Usage: "name backtrace frames from this `BINARY` or vmlinux (run defaults to its TARGET; without one, frames stay addresses)"},
		&cli.BoolFlag{Name: "summary", Usage: "print the end-of-run summary after the events"},
		&cli.StringFlag{Name: "top", Usage: "in the summary, list the most frequent values of `FIELD`"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print stap's full stderr and the stap command line"},
	}
}

func runCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "generate a script, run stap, and stream decoded events",
		ArgsUsage: "TARGET FUNCTION...",
		Description: `Generates the script (same options as gen), runs stap with the flags the plan needs
(-g only for Go RET-site probes, -d/--ldd for user backtraces, --runtime), and
decodes what it prints. Ctrl-C, --duration or --max-events end the run cleanly:
every record stap printed before the end is decoded and shown.

The traced command's own output goes to stderr, events to stdout.

Examples:
   stapgen run -c './mountd -n 3' ./mountd syscall.Mount --return --format json
   stapgen run -x $(pidof dockerd) /usr/bin/dockerd syscall.Mount --duration 30s
   stapgen run kernel lookup_one_qstr_excl --fields name->name --duration 10s
   stapgen run --script mount.stp -c ./mountd
   stapgen run --remote web1 --remote web2 kernel lookup_one_qstr_excl --duration 10s

With --remote, stap compiles here and runs on each HOST (it needs stap's
runtime there and ssh access); the -c command runs on the host, and its output
shares stap's stdout, so it shows as raw lines among the events.`,
		Flags: append(append(append(targetFlags(), requestFlags()...), outputFlags()...),
			&cli.StringFlag{Name: "cmd", Aliases: []string{"c"}, Usage: "run `CMD` under stap and trace it (stap -c)"},
			&cli.IntFlag{Name: "target-pid", Aliases: []string{"x"}, Usage: "trace the running process `PID` (stap -x)"},
			&cli.StringFlag{Name: "script", Usage: "run a script written by gen (`FILE`) instead of generating one; TARGET and FUNCTION are then not needed"},
			&cli.StringFlag{Name: "save", Usage: "also save stap's raw output to `FILE` (decode it later with stapgen decode)"},
			&cli.StringSliceFlag{Name: "stap-arg", Usage: "extra `ARG` passed to stap as is (repeatable), e.g. -DMAXACTION=10000"},
			&cli.StringSliceFlag{Name: "remote", Usage: "run on `HOST` through stap --remote (repeatable: one run per host, events tagged with it); HOST is ssh://[USER@]NAME, NAME, or direct: for this machine"},
		),
		Action: func(c *cli.Context) error { return runAction(c, env) },
	}
}

func runAction(c *cli.Context, env *Env) error {
	var scriptBytes []byte
	var p *plan.Plan
	var schema *event.Schema
	var stapArgs []string
	runtime := spec.RuntimeKernel
	if c.IsSet("cmd") && c.IsSet("target-pid") {
		return usagef("-c and -x exclude each other")
	}
	if c.IsSet("remote") && (c.IsSet("target-pid") || c.IsSet("save")) {
		return usagef("--remote works with -c or system-wide probes; -x and --save name one machine's process and file")
	}
	if f := c.String("script"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return withHint(err, ExitUsage, "")
		}
		if schema, err = script.ReadSchema(b); err != nil {
			return err
		}
		scriptBytes = b
		stapArgs = script.ReadStapArgs(b)
		if c.IsSet("runtime") {
			runtime = spec.Runtime(c.String("runtime"))
		} else if r := script.ReadRuntime(b); r != "" {
			runtime = r
		}
	} else {
		if err := needArgs(c, 1, "TARGET (or --script FILE)"); err != nil {
			return err
		}
		var err error
		p, scriptBytes, err = generate(c, env, c.Args().First(), c.Args().Tail())
		if err != nil {
			return err
		}
		schema, stapArgs, runtime = &p.Schema, p.StapArgs, p.Runtime
	}
	dir, err := os.MkdirTemp("", "stapgen-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	scriptPath := filepath.Join(dir, "stapgen.stp")
	if err := os.WriteFile(scriptPath, scriptBytes, 0o644); err != nil {
		return err
	}
	opts := stap.Options{
		Runtime: string(runtime),
		Cmd:     c.String("cmd"),
		PID:     c.Int("target-pid"),
		Extra:   append(append([]string{}, stapArgs...), c.StringSlice("stap-arg")...),
	}
	if p != nil && p.Target.Kernel && c.IsSet("release") {
		opts.Release = c.String("release")
	}
	// Records always go to a file (-o) that stapgen follows: the traced
	// command (-c) shares stap's stdout and could otherwise split a record,
	// and stap-like wrappers (the lab's VM) deliver output the same way.
	outPath := filepath.Join(dir, "records")
	if err := os.WriteFile(outPath, nil, 0o644); err != nil {
		return err
	}
	opts.Output = outPath
	opts.Stdout = env.Stderr
	// The output is set up before stap starts: a bad --format costs no run.
	sink, err := newSink(c, env, schema, symbolsFor(c, p != nil))
	if err != nil {
		return err
	}
	runner := stapRunner(c, env)
	if hosts := c.StringSlice("remote"); len(hosts) > 0 {
		return runRemote(c, env, runner, scriptPath, opts, schema, sink, hosts)
	}
	if c.Bool("verbose") {
		fmt.Fprintf(env.Stderr, "stapgen: %s %s\n", runner.Path, strings.Join(opts.Args(scriptPath), " "))
	}
	proc, err := runner.Start(c.Context, scriptPath, opts)
	if err != nil {
		return err
	}
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = proc.Wait(); close(done) }()
	f, err := os.Open(outPath)
	if err != nil {
		proc.Stop()
		<-done
		return err
	}
	defer f.Close()
	var out io.Reader = &follower{f: f, done: done}
	if s := c.String("save"); s != "" {
		sf, err := os.Create(s)
		if err != nil {
			proc.Stop()
			<-done
			return err
		}
		defer sf.Close()
		// The saved output carries its schema, so decode needs no script.
		fmt.Fprintf(sf, "%s\n", script.SchemaComment(schema))
		out = io.TeeReader(out, sf)
	}
	n, decErr := decodeAll(out, schema, sink)
	<-done
	sink.Close()
	if c.Bool("verbose") {
		fmt.Fprint(env.Stderr, proc.Stderr())
	}
	losses := proc.Losses()
	if losses.Any() {
		fmt.Fprintf(env.Stderr, "stapgen: warning: stap lost records (%s): the %d events decoded are not all that happened\n", losses, n)
	}
	if waitErr != nil && c.Context.Err() == nil {
		if losses.Perf > 0 {
			// stapbpf assembles one printf from several perf events; once
			// one is lost it aborts ("printf already started").
			return withHint(waitErr, ExitStap, "stapbpf stops when its perf buffer overflows; trace fewer calls (--where, fewer functions) or use --runtime kernel")
		}
		return explainStapError(waitErr, c)
	}
	if losses.Any() {
		fmt.Fprintf(env.Stderr, "hint: %s\n", lossHint(losses))
	}
	if decErr != nil {
		return decErr
	}
	if c.Context.Err() != nil {
		fmt.Fprintf(env.Stderr, "stapgen: interrupted after %d events\n", n)
		return context.Canceled
	}
	return nil
}

// follower reads a file that stap is still writing: at the end of the
// data it waits for more until stap has exited, then reads what is left.
type follower struct {
	f    *os.File
	done <-chan struct{}
}

func (r *follower) Read(p []byte) (int, error) {
	for {
		n, err := r.f.Read(p)
		if n > 0 || (err != nil && err != io.EOF) {
			return n, err
		}
		select {
		case <-r.done:
			// stap has exited: one more read picks up its last write.
			n, err := r.f.Read(p)
			if n > 0 {
				return n, nil
			}
			return 0, err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// decodeAll feeds every event to sink; it returns the number of records.
func decodeAll(r io.Reader, s *event.Schema, sink report.Sink) (int, error) {
	d := event.NewDecoder(r, s)
	n := 0
	for {
		ev, err := d.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if ev.Probe >= 0 {
			n++
		}
		if err := sink.Event(ev); err != nil {
			return n, err
		}
	}
}

// symbolsFor is the target whose symbols name backtrace frames: --symbols,
// else run's TARGET when the script was generated from it.
func symbolsFor(c *cli.Context, generated bool) string {
	if s := c.String("symbols"); s != "" || !generated {
		return s
	}
	return c.Args().First()
}

// newSink builds the output of --format; symbols names backtrace frames
// (folded stacks, and the names beside the addresses in table and JSON).
func newSink(c *cli.Context, env *Env, s *event.Schema, symbols string) (report.Sink, error) {
	color := env.IsTerminal && env.Getenv("NO_COLOR") == ""
	var sinks []report.Sink
	switch f := c.String("format"); f {
	case "table":
		sinks = append(sinks, report.NewText(env.Stdout, s, report.TextOptions{Color: color}))
	case "json":
		sinks = append(sinks, report.NewJSON(env.Stdout))
	case "summary":
	case "folded":
		if !hasStacks(s) {
			return nil, usagef("--format folded counts backtraces, and these records have none: add --backtrace user (or kernel)")
		}
		name, err := foldedNamer(c, symbols)
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, report.NewFolded(env.Stdout, s, name))
	default:
		return nil, usagef("--format %q: want table, json, summary or folded", f)
	}
	if c.String("format") == "summary" || c.Bool("summary") || c.IsSet("top") || c.String("aggregate") != "" {
		sinks = append(sinks, report.NewSummary(env.Stdout, s, report.SummaryOptions{Top: c.String("top")}))
	}
	sink := report.Live(report.Multi(sinks...), 100*time.Millisecond)
	if f := c.String("format"); (f == "table" || f == "json") && symbols != "" && hasStacks(s) {
		name, err := valueNamer(c, symbols)
		if err != nil {
			return nil, err
		}
		sink = report.NameFrames(sink, s, name)
	}
	return sink, nil
}

func stapRunner(c *cli.Context, env *Env) *stap.Runner {
	path := c.String("stap")
	if path == "" {
		path = "stap"
	}
	return &stap.Runner{Path: path}
}

// detectStapVersion asks the stap that would run the script for its
// version, so gen refuses what that stap cannot do.
func detectStapVersion(c *cli.Context, env *Env) (plan.Version, bool) {
	v, err := stapRunner(c, env).Version(c.Context)
	if err != nil {
		return plan.Version{}, false
	}
	return plan.Version{Major: v.Major, Minor: v.Minor}, true
}

// explainStapError points a semantic error at the part of the request that
// named the identifier stap complains about.
func explainStapError(err error, c *cli.Context) error {
	var se *stap.Error
	if !errors.As(err, &se) || se.Class != stap.ClassSemantic || se.Identifier == "" {
		return err
	}
	id := strings.TrimPrefix(se.Identifier, "$")
	for _, flag := range []string{"fields", "where"} {
		for _, v := range c.StringSlice(flag) {
			if strings.Contains(v, id) {
				return withHint(err, ExitStap, "stap cannot read %q, named in --%s %q; `stapgen show` lists what is readable", id, flag, v)
			}
		}
	}
	for _, fn := range c.Args().Tail() {
		if strings.Contains(fn, id) {
			return withHint(err, ExitStap, "stap cannot place a probe on %q; check it with `stapgen show TARGET %s`", fn, fn)
		}
	}
	return err
}

// lossHint says what makes stap keep up.
func lossHint(l stap.Losses) string {
	switch {
	case l.Transport > 0:
		return "stap's output buffer filled up: raise it with --stap-arg=-s64 (MB per CPU), or trace fewer calls (--where, fewer functions)"
	case l.Perf > 0:
		return "stapbpf's perf buffer filled up: trace fewer calls (--where, fewer functions) or use --runtime kernel"
	case l.Skipped > 0:
		return "stap skipped handlers (rerun with --verbose for its reasons); tracing fewer calls at once usually helps"
	}
	return "rerun with --verbose for stap's full output"
}
