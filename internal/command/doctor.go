package command

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/stapgen/stapgen/internal/doctor"
	"github.com/stapgen/stapgen/internal/session"
	"github.com/stapgen/stapgen/internal/stap"
	"github.com/urfave/cli/v2"
)

func doctorCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "doctor",
		Usage: "check what this machine can run, and say how to fix each gap",
		Description: `Checks stap and its version, which runtimes can work (kernel modules, BPF),
the kernel build tree, kernel debuginfo, debugfs, uprobes and kprobes, BTF and
privileges. Every gap comes with the command or package that fixes it.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
			&cli.StringFlag{Name: "release", Aliases: []string{"r"}, Usage: "check for kernel `RELEASE` instead of the running one"},
			&cli.StringFlag{Name: "stap", EnvVars: []string{"STAPGEN_STAP"}, Usage: "the stap `PATH` to check ($STAPGEN_STAP)"},
		},
		Action: func(c *cli.Context) error {
			release := c.String("release")
			if release == "" {
				release = session.RunningRelease()
			}
			runner := &stap.Runner{Path: stapPath(c)}
			ctx := c.Context
			rep := doctor.Run(doctor.System{
				Release: release,
				EUID:    os.Geteuid(),
				StapVersion: func() (string, error) {
					v, err := runner.Version(ctx)
					if err != nil {
						return "", err
					}
					return v.String(), nil
				},
			})
			if c.Bool("json") {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "kernel %s\n\n", rep.Release)
			for _, ch := range rep.Checks {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", ch.Name, ch.Status, ch.Detail)
				if ch.Fix != "" {
					fmt.Fprintf(tw, "\tfix:\t%s\n", ch.Fix)
				}
			}
			fmt.Fprintln(tw)
			for _, ch := range rep.Runtimes {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", ch.Name, ch.Status, ch.Detail)
			}
			return tw.Flush()
		},
	}
}
