package command

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/urfave/cli/v2"
)

func linesCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "lines",
		Usage:     "list the probe-able source lines of a function, with the variables readable at each",
		ArgsUsage: "TARGET FUNCTION",
		Description: `Lists the lines of FUNCTION where a statement probe can be placed, as
stap -L 'kernel.statement("FUNCTION@FILE:*")' lists them: one address per line,
and the variables in scope there that have a location at that address (the
innermost block's first). Each line is printed as FUNCTION@FILE:LINE, which
gen and run take as a probe, with --fields naming those variables and their
members ('name->name', 'dentry->d_inode->i_ino'). Lines of copies of FUNCTION
inlined into other functions are not listed.

Examples:
   stapgen lines kernel lookup_one_qstr_excl
   stapgen gen kernel lookup_one_qstr_excl@fs/namei.c:1599 --fields name->name
   stapgen lines --json ./cfix walk`,
		Flags: append(targetFlags(), &cli.BoolFlag{Name: "json", Usage: "print JSON lines, one source line per line"}),
		Action: func(c *cli.Context) error {
			if err := needArgs(c.NArg(), c.Command.Name, 2, "TARGET and FUNCTION"); err != nil {
				return err
			}
			l, err := openTarget(c.Args().Get(0), openFlags(c))
			if err != nil {
				return err
			}
			defer l.Close()
			fns, err := l.Lookup(c.Args().Get(1))
			if err != nil {
				return err
			}
			listed := 0
			for i, f := range fns {
				if f.Inlined {
					continue
				}
				lines, err := l.Lines(f)
				if err != nil {
					return err
				}
				listed++
				if c.Bool("json") {
					if err := writeLinesJSON(env.Stdout, f, lines); err != nil {
						return err
					}
					continue
				}
				if i > 0 {
					fmt.Fprintln(env.Stdout)
				}
				writeLinesText(env.Stdout, f, lines)
			}
			if listed == 0 {
				return withHint(fmt.Errorf("%s is inlined everywhere: it has no line of its own", c.Args().Get(1)), ExitNotFound, "probe the functions it is inlined into")
			}
			return nil
		},
	}
}

type jsonLine struct {
	Probe    string    `json:"probe"`
	Function string    `json:"function"`
	File     string    `json:"file"`
	Line     int       `json:"line"`
	Address  string    `json:"address"`
	Vars     []jsonVar `json:"vars"`
}

func writeLinesJSON(w io.Writer, f *debuginfo.Function, lines []debuginfo.Line) error {
	enc := json.NewEncoder(w)
	for _, l := range lines {
		j := jsonLine{Probe: l.Spec(f.Name), Function: f.Name, File: l.File, Line: l.Line,
			Address: fmt.Sprintf("0x%x", l.Addr), Vars: []jsonVar{}}
		for _, v := range l.Vars {
			j.Vars = append(j.Vars, toJSONVar(v))
		}
		if err := enc.Encode(j); err != nil {
			return err
		}
	}
	return nil
}

// writeLinesText prints one line per source line: the probe as gen takes
// it, the address, and the variables as stap -L spells them.
func writeLinesText(w io.Writer, f *debuginfo.Function, lines []debuginfo.Line) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, l := range lines {
		var vs []string
		for _, v := range l.Vars {
			vs = append(vs, "$"+v.Name+":"+typeOf(v.Type))
		}
		fmt.Fprintf(tw, "%s\t0x%x\t%s\n", l.Spec(f.Name), l.Addr, strings.Join(vs, " "))
	}
	tw.Flush()
	if len(lines) == 0 {
		fmt.Fprintf(w, "%s: no probe-able line (no line record inside it)\n", f.Name)
	}
}
