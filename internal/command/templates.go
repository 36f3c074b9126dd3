package command

import (
	"errors"
	"fmt"

	"github.com/stapgen/stapgen/internal/script"
	"github.com/urfave/cli/v2"
)

func templatesCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "templates",
		Usage:     "write the built-in script templates into a directory, to edit and render with gen --templates",
		ArgsUsage: "DIR",
		Description: `Every kind of read (register, stack, memory, $var member chain), print (Go string,
slice, C string, integer, pointer, ...), filter and probe point is one named template
("expr.Mem", "value.Bytes", "cond.StrEq", "point.address", ...), for each runtime
(kernel.stp.tmpl, bpf.stp.tmpl). Edit one and pass the directory to gen or run
with --templates DIR: the generated scripts then read or print that value your way.
A value template must still print one token of the record format (see the README).

Examples:
   stapgen templates ./my-templates
   stapgen gen --templates ./my-templates ./mountd syscall.Mount`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "force", Usage: "overwrite template files already in DIR"}},
		Action: func(c *cli.Context) error {
			if err := needArgs(c.NArg(), c.Command.Name, 1, "DIR"); err != nil {
				return err
			}
			files, err := script.Export(c.Args().First(), c.Bool("force"))
			if errors.Is(err, script.ErrExists) {
				return withHint(err, ExitUsage, "add --force to overwrite, or name an empty directory")
			}
			if err != nil {
				return err
			}
			for _, f := range files {
				fmt.Fprintln(env.Stdout, f)
			}
			return nil
		},
	}
}
