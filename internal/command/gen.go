package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/stapgen/stapgen/internal/session"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
	"github.com/urfave/cli/v2"
)

// requestFlags describe a probe request; gen and run share them.
func requestFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "entry", Value: true, Usage: "probe function entries (--entry=false with --return for returns only)"},
		&cli.BoolFlag{Name: "return", Usage: "probe returns too (Go: at every RET instruction, never uretprobes)"},
		&cli.StringSliceFlag{Name: "fields", Aliases: []string{"f"}, Usage: "value `PATHS` to print, comma-separated: name->name, o.Flags[0], ~r0, return->d_inode->i_ino (C returns; parameters print at the return as their entry values) (default: all parameters and results)"},
		&cli.StringSliceFlag{Name: "where", Aliases: []string{"w"}, Usage: "only record calls where `CONDITION` holds: PATH OP VALUE (== != < <= > >=; integers, strings in double quotes), PATH & MASK, (PATH & MASK) OP N, joined with && || ! and parentheses; return names a C function's result (tested at the return). 'FUNCTION { CONDITION }' applies to that function (name or glob) only. Repeatable, all must hold"},
		&cli.IntFlag{Name: "pid", Usage: "only record calls in process `PID`"},
		&cli.StringFlag{Name: "process", Usage: "only record calls in processes named `NAME` (execname)"},
		&cli.IntFlag{Name: "strlen", Usage: "read at most `N` bytes of each string (default 128; 64 max under BPF)"},
		&cli.IntFlag{Name: "elems", Usage: "read at most `N` elements of each slice or array (default 8)"},
		&cli.IntFlag{Name: "depth", Usage: "expand structs `N` levels when printing whole values (default 1)"},
		&cli.StringFlag{Name: "runtime", Value: "kernel", Usage: "SystemTap `RUNTIME`: kernel (module, full features) or bpf"},
		&cli.StringSliceFlag{Name: "backtrace", Usage: "add a `kernel` and/or `user` backtrace to each entry record"},
		&cli.StringFlag{Name: "aggregate", Usage: "statistics computed in stap, exact at any event rate: count (calls per probe), latency (entry→return histogram per function; implies --return), sum:PATH (count, sum, min, max, average of an integer PATH) or top:PATH (the --keys N most frequent values of PATH, default 10); they replace the per-event records unless --events"},
		&cli.StringFlag{Name: "by", Usage: "with --aggregate count, latency or sum:PATH, keep it per value of `PATH` (an integer, pointer or string: fd, return, name->name); prints the --keys N keys with the most calls"},
		&cli.IntFlag{Name: "keys", Usage: "with --by or --aggregate top:PATH, print the `N` keys with the most calls (default 10)"},
		&cli.BoolFlag{Name: "events", Usage: "with --aggregate, print the per-event records too"},
		&cli.DurationFlag{Name: "interval", Usage: "with --aggregate, print the statistics so far every `D` (e.g. 5s), and at the end"},
		&cli.DurationFlag{Name: "duration", Usage: "stop after `D` (e.g. 10s)"},
		&cli.IntFlag{Name: "max-events", Usage: "stop after `N` records"},
		&cli.StringFlag{Name: "probe-file", Aliases: []string{"F"}, Usage: "read the request from `FILE` (format: `stapgen probes --help`)"},
		&cli.StringFlag{Name: "probe", Usage: "use the catalog recipe `NAME` (list them with `stapgen probes`)"},
		&cli.StringFlag{Name: "stap-version", Usage: "generate for stap `X.Y` (default: the version of the stap found, else the newest)"},
		&cli.StringFlag{Name: "stap", EnvVars: []string{"STAPGEN_STAP"}, Usage: "the stap `PATH` to use ($STAPGEN_STAP)"},
		&cli.StringFlag{Name: "templates", Usage: "render with the templates in `DIR` instead of the built-in ones"},
	}
}

// splitList splits comma-separated flag values, keeping commas inside
// brackets or quotes.
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		depth, quote, start := 0, byte(0), 0
		for i := 0; i < len(v); i++ {
			switch c := v[i]; {
			case quote != 0:
				if c == '\\' {
					i++
				} else if c == quote {
					quote = 0
				}
			case c == '"' || c == '`':
				quote = c
			case c == '[' || c == '(':
				depth++
			case c == ']' || c == ')':
				depth--
			case c == ',' && depth == 0:
				out = append(out, strings.TrimSpace(v[start:i]))
				start = i + 1
			}
		}
		out = append(out, strings.TrimSpace(v[start:]))
	}
	var clean []string
	for _, s := range out {
		if s != "" {
			clean = append(clean, s)
		}
	}
	return clean
}

// buildRequest reads a request from flags and functions (or a probe file).
func buildRequest(c *cli.Context, functions []string) (*spec.Request, error) {
	var req spec.Request
	if f := c.String("probe-file"); f != "" {
		fh, err := os.Open(f)
		if err != nil {
			return nil, withHint(err, ExitUsage, "")
		}
		defer fh.Close()
		pf, err := spec.ParseFile(fh, f)
		if err != nil {
			return nil, err
		}
		req = pf.Request
	}
	if name := c.String("probe"); name != "" {
		if c.IsSet("probe-file") {
			return nil, usagef("--probe and --probe-file exclude each other")
		}
		r, err := findRecipe(name)
		if err != nil {
			return nil, err
		}
		req = r.Parsed.Request
	}
	var fields []spec.Path
	for _, s := range splitList(c.StringSlice("fields")) {
		p, err := spec.ParsePath(s)
		if err != nil {
			return nil, err
		}
		fields = append(fields, p)
	}
	for _, fn := range functions {
		if err := spec.ValidateFunctionPattern(fn); err != nil {
			return nil, err
		}
		req.Probes = append(req.Probes, spec.Probe{Function: fn, Entry: c.Bool("entry"), Return: c.Bool("return"), Fields: fields})
	}
	if len(functions) == 0 && len(fields) > 0 {
		for i := range req.Probes {
			req.Probes[i].Fields = append(req.Probes[i].Fields, fields...)
		}
	}
	for _, w := range c.StringSlice("where") {
		p, err := spec.ParseFilter(w)
		if err != nil {
			return nil, err
		}
		req.Where = append(req.Where, p)
	}
	if c.IsSet("runtime") || req.Runtime == "" {
		req.Runtime = spec.Runtime(c.String("runtime"))
	}
	setInt := func(name string, dst *int) {
		if c.IsSet(name) {
			*dst = c.Int(name)
		}
	}
	setInt("pid", &req.PID)
	setInt("strlen", &req.Limits.StringLen)
	setInt("elems", &req.Limits.Elems)
	setInt("depth", &req.Limits.Depth)
	setInt("max-events", &req.MaxEvents)
	if c.IsSet("process") {
		req.Process = c.String("process")
	}
	for _, b := range splitList(c.StringSlice("backtrace")) {
		switch b {
		case "kernel":
			req.KernelStack = true
		case "user":
			req.UserStack = true
		default:
			return nil, usagef("--backtrace %q: want kernel or user", b)
		}
	}
	req.Events, req.Interval = c.Bool("events"), c.Duration("interval")
	if err := aggregateFlags(c, &req); err != nil {
		return nil, err
	}
	if c.IsSet("duration") {
		req.Duration = c.Duration("duration")
	}
	if len(req.Probes) == 0 {
		return nil, usagef("%s: name at least one FUNCTION (or --probe-file)", c.Command.Name)
	}
	if err := req.Normalize(); err != nil {
		return nil, err
	}
	return &req, nil
}

func parseVersion(s string) (stap.Version, error) {
	maj, min, ok := strings.Cut(strings.TrimSpace(s), ".")
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(min)
	if !ok || err1 != nil || err2 != nil {
		return stap.Version{}, usagef("stap version %q: want X.Y, e.g. 5.1", s)
	}
	return stap.Version{Major: a, Minor: b}, nil
}

// generateFlags reads what gen and run generate a script from.
func generateFlags(c *cli.Context, targetName string, functions []string) (session.GenerateOptions, error) {
	req, err := buildRequest(c, functions)
	if err != nil {
		return session.GenerateOptions{}, err
	}
	o := session.GenerateOptions{Target: targetName, Open: openFlags(c), Request: req, Stap: stapPath(c), Templates: c.String("templates")}
	if v := c.String("stap-version"); v != "" {
		ver, err := parseVersion(v)
		if err != nil {
			return session.GenerateOptions{}, err
		}
		o.StapVersion = &ver
	}
	return o, nil
}

// generate renders the script, hints added.
func generate(ctx context.Context, o session.GenerateOptions) (*session.Script, error) {
	s, err := session.Generate(ctx, o)
	var se *session.Error
	if errors.As(err, &se) && se.Stage == session.StageTemplates {
		return nil, withHint(err, ExitUsage, "`stapgen templates DIR` writes the built-in templates, every file a directory needs, to edit")
	}
	return s, openHint(err)
}

// stapPath is the stap that runs (and is asked for its version).
func stapPath(c *cli.Context) string {
	if p := c.String("stap"); p != "" {
		return p
	}
	return "stap"
}

func genCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "gen",
		Usage:     "write a SystemTap script for functions of a target",
		ArgsUsage: "TARGET FUNCTION...",
		Description: `Writes a script that prints one record per call (and per return with --return)
with the values you ask for, in stapgen's record format (decode it with
"stapgen decode" or let "stapgen run" do everything). The header says how to run it.

FUNCTION is an exact name, a glob, a|b (the first that exists), or a source
line FILE:LINE (prints the variables in scope, or those named with --fields).
Go functions are read through the register
ABI and their returns probed at each RET instruction (guru mode, stap >= 5.0),
never with .return, which crashes Go programs.

A --where that names a parameter one of the functions lacks is refused:
write it as 'FUNCTION { CONDITION }' for the functions that have it. A
condition on return (C) or a result (Go: its name, or return for the first)
is tested at the return; at the entry the other conditions decide. Parameters
in a return's condition are their values at the entry (as --fields prints them).

Examples:
   stapgen gen kernel lookup_one_qstr_excl --fields name->name,flags
   stapgen gen module:macvlan macvlan_start_xmit --return
   stapgen gen ./server 'main.(*Server).Handle' --return -o handle.stp
   stapgen gen /usr/bin/dockerd syscall.Mount --where 'fstype == "overlay"'
   stapgen gen kernel do_sys_openat2 --where 'dfd == -100 || (how->flags & 0x40) != 0'
   stapgen gen kernel lookup_one_qstr_excl --entry=false --return --where '!(flags & 0x200) && return->d_inode != 0'
   stapgen gen ./app read write --where 'read { n > 4096 }' --where 'write { fd == 1 }'
   stapgen gen ./app main.Work --aggregate latency --duration 30s
   stapgen gen kernel lookup_one_qstr_excl --aggregate top:name->name --keys 5
   stapgen gen ./app read_block --aggregate sum:len --by fd --interval 5s
   stapgen gen kernel fs/namei.c:1597`,
		Flags: append(append(targetFlags(), requestFlags()...),
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the script to `FILE` instead of standard output"},
		),
		Action: func(c *cli.Context) error {
			if err := needArgs(c.NArg(), c.Command.Name, 1, "TARGET"); err != nil {
				return err
			}
			o, err := generateFlags(c, c.Args().First(), c.Args().Tail())
			if err != nil {
				return err
			}
			s, err := generate(c.Context, o)
			if err != nil {
				return err
			}
			if out := c.String("output"); out != "" {
				return os.WriteFile(out, s.Source, 0o644)
			}
			_, err = env.Stdout.Write(s.Source)
			return err
		},
	}
}

func notImplemented(what string) error { return fmt.Errorf("%s is not implemented yet", what) }
