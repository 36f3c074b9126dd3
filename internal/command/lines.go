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
innermost block's first). Copies of FUNCTION inlined into other functions of
its file are included, as stap includes them: a line then appears once per
copy, with "in CALLER" and that copy's variables. Each line is printed as
FUNCTION@FILE:LINE, which gen and run take as a probe (it fires in every
copy), with --fields naming variables readable in all of them and their
members ('name->name', 'dentry->d_inode->i_ino').

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
			// An out-of-line copy's lines include its unit's inlined
			// copies; an inline-only function's are its copies'.
			outOfLine := false
			for _, f := range fns {
				outOfLine = outOfLine || !f.Inlined && !l.IsClone(f)
			}
			listed := 0
			for _, f := range fns {
				if f.Inlined && outOfLine || l.IsClone(f) {
					continue // stap places no line probe of f there
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
				if listed > 1 {
					fmt.Fprintln(env.Stdout)
				}
				writeLinesText(env.Stdout, f, lines)
			}
			if listed == 0 {
				return withHint(fmt.Errorf("%s: only compiler clones of it have code", c.Args().Get(1)), ExitNotFound, "probe the clone by its symbol with gen")
			}
			return nil
		},
	}
}

type jsonLine struct {
	Probe    string `json:"probe"`
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Address  string `json:"address"`
	// InlinedIn names the function the copy with this address is inlined
	// into; absent for the out-of-line copy.
	InlinedIn string    `json:"inlined_in,omitempty"`
	Vars      []jsonVar `json:"vars"`
}

func writeLinesJSON(w io.Writer, f *debuginfo.Function, lines []debuginfo.Line) error {
	enc := json.NewEncoder(w)
	for _, l := range lines {
		j := jsonLine{Probe: l.Spec(f.Name), Function: f.Name, File: l.File, Line: l.Line,
			Address: fmt.Sprintf("0x%x", l.Addr), InlinedIn: l.InlinedIn, Vars: []jsonVar{}}
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
// it, the address, the function a copy is inlined into (blank for the
// out-of-line copy), and the variables as stap -L spells them.
func writeLinesText(w io.Writer, f *debuginfo.Function, lines []debuginfo.Line) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, l := range lines {
		var vs []string
		for _, v := range l.Vars {
			vs = append(vs, "$"+v.Name+":"+typeOf(v.Type))
		}
		where := ""
		if l.InlinedIn != "" {
			where = "in " + l.InlinedIn
		}
		fmt.Fprintf(tw, "%s\t0x%x\t%s\t%s\n", l.Spec(f.Name), l.Addr, where, strings.Join(vs, " "))
	}
	tw.Flush()
	if len(lines) == 0 {
		fmt.Fprintf(w, "%s: no probe-able line (no line record inside it)\n", f.Name)
	}
}
