package command

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/probes"
	"github.com/urfave/cli/v2"
)

// recipe is one catalog entry.
type recipe struct {
	Name, Target, Description, Example, File string
	Source                                   []byte
	Parsed                                   *spec.File
}

// catalog reads every recipe under probes/.
func catalog() ([]recipe, error) {
	var out []recipe
	err := fs.WalkDir(probes.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".probe" {
			return err
		}
		b, err := fs.ReadFile(probes.FS, p)
		if err != nil {
			return err
		}
		f, err := spec.ParseFile(bytes.NewReader(b), "probes/"+p)
		if err != nil {
			return err
		}
		name := f.Meta["name"]
		if name == "" {
			name = strings.TrimSuffix(path.Base(p), ".probe")
		}
		out = append(out, recipe{Name: name, Target: f.Meta["target"], Description: f.Meta["description"], Example: f.Meta["example"], File: p, Source: b, Parsed: f})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

func findRecipe(name string) (*recipe, error) {
	all, err := catalog()
	if err != nil {
		return nil, err
	}
	var names []string
	for i := range all {
		if all[i].Name == name {
			return &all[i], nil
		}
		names = append(names, all[i].Name)
	}
	return nil, usagef("no probe recipe %q (have: %s)", name, strings.Join(names, ", "))
}

func probesCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "probes",
		Usage:     "list the catalog of ready probe recipes, or print one",
		ArgsUsage: "[NAME]",
		Description: `Without NAME, lists the recipes; with NAME, prints the recipe (a probe file:
copy it as a starting point and run it with --probe-file). Run a recipe by name
with "stapgen run --probe NAME TARGET ...".

Probe file format (one directive a line, # comments):
   probe FUNCTION[|ALTERNATIVE...] [entry] [return] [PATH...]
   where CONDITION              (as --where: PATH OP VALUE, PATH & MASK, && || ! ( ))
   where FUNCTION { CONDITION } (applies to FUNCTION, a name or glob, only)
   limit strlen|elems|depth N
   process NAME
   backtrace kernel|user
   aggregate count|latency|sum:PATH|top:PATH [by PATH] [keys N]
   runtime kernel|bpf`,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				r, err := findRecipe(c.Args().First())
				if err != nil {
					return err
				}
				_, err = env.Stdout.Write(r.Source)
				return err
			}
			all, err := catalog()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tTARGET\tDESCRIPTION")
			for _, r := range all {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, r.Target, r.Description)
			}
			return tw.Flush()
		},
	}
}
