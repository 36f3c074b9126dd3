package command

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/session"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/urfave/cli/v2"
)

func listCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "list",
		Usage:     "list functions of a target that match glob patterns",
		ArgsUsage: "TARGET [PATTERN...]",
		Description: `Lists the probe-able functions of TARGET whose names match any PATTERN (globs:
* and ?, \ before a literal one; the star of a Go receiver "(*T)" is literal).
Without a pattern every function is listed. For "kernel", module functions follow
vmlinux's, their module in brackets ([overlay]); the first such listing of a
release indexes its modules once (seconds) and caches that.

Examples:
   stapgen list kernel 'lookup_*'
   stapgen list kernel 'ovl_*'
   stapgen list module:macvlan
   stapgen list /usr/lib/debug/boot/vmlinux-6.1.0-47-cloud-amd64 'vfs_*'
   stapgen list --params ./server 'main.*'
   stapgen list --json /usr/bin/dockerd 'syscall.*'`,
		Flags: append(targetFlags(),
			&cli.BoolFlag{Name: "params", Aliases: []string{"p"}, Usage: "also print each function's parameters and types"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON lines, one function per line"},
		),
		Action: func(c *cli.Context) error {
			if err := needArgs(c.NArg(), c.Command.Name, 1, "TARGET"); err != nil {
				return err
			}
			patterns := c.Args().Tail()
			if len(patterns) == 0 {
				patterns = []string{"*"}
			}
			fns, err := session.List(c.Args().First(), patterns, openFlags(c))
			if err != nil {
				return openHint(err)
			}
			if len(fns) == 0 {
				return withHint(fmt.Errorf("no function matches %s", strings.Join(patterns, " ")), ExitNotFound, "patterns are globs: quote them from the shell, e.g. 'vfs_*'")
			}
			if c.Bool("json") {
				return writeFunctionsJSON(env.Stdout, fns)
			}
			return writeFunctionsText(env.Stdout, fns, c.Bool("params"))
		},
	}
}

func location(f *debuginfo.Function) string {
	loc := f.File
	switch {
	case f.File == "":
		loc = "-"
	case f.Line > 0:
		loc = fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	if f.Module != "" {
		loc += " [" + target.ModuleName(f.Module) + "]"
	}
	return loc
}

func paramSummary(f *debuginfo.Function) string {
	if f.NoTypes {
		return "(no types: stripped binary)"
	}
	var parts []string
	for _, v := range f.Params {
		parts = append(parts, v.Name+":"+typeOf(v.Type))
	}
	if len(f.Results) > 0 {
		var rs []string
		for _, v := range f.Results {
			rs = append(rs, v.Name+":"+typeOf(v.Type))
		}
		return strings.Join(parts, " ") + " -> " + strings.Join(rs, " ")
	}
	return strings.Join(parts, " ")
}

func typeOf(t *debuginfo.Type) string {
	if t == nil {
		return "?"
	}
	return t.Name
}

// maxColumn caps an aligned column: one 200-character generic instance
// name must not push every other line's location off the screen. Longer
// cells overflow their column instead.
const maxColumn = 64

func writeFunctionsText(w io.Writer, fns []*debuginfo.Function, params bool) error {
	bw := bufio.NewWriter(w)
	names := listNames(fns)
	nameW, locW := 0, 0
	for i, f := range fns {
		nameW = max(nameW, min(len(names[i]), maxColumn))
		if params {
			locW = max(locW, min(len(location(f)), maxColumn))
		}
	}
	for i, f := range fns {
		if params {
			fmt.Fprintf(bw, "%s  %s  %s\n", pad(names[i], nameW), pad(location(f), locW), paramSummary(f))
		} else {
			fmt.Fprintf(bw, "%s  %s\n", pad(names[i], nameW), location(f))
		}
	}
	return bw.Flush()
}

// listNames are the names list prints: a C++ overload's with its
// signature, so that two lines of shop::geo::area say which is which.
func listNames(fns []*debuginfo.Function) []string {
	linkages := map[string]map[string]bool{}
	for _, f := range fns {
		if f.LinkageName != "" {
			if linkages[f.Name] == nil {
				linkages[f.Name] = map[string]bool{}
			}
			linkages[f.Name][f.LinkageName] = true
		}
	}
	out := make([]string, len(fns))
	for i, f := range fns {
		out[i] = f.Name
		if len(linkages[f.Name]) > 1 {
			out[i] += f.Signature()
		}
	}
	return out
}

func pad(s string, w int) string {
	if len(s) >= w {
		return s
	}
	return s + strings.Repeat(" ", w-len(s))
}

// jsonVar and jsonFunc are the JSON shapes of list and show.
type jsonVar struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	GoType   string `json:"go_type,omitempty"`
	Kind     string `json:"kind"`
	Location string `json:"dwarf_location,omitempty"`
	ABI      string `json:"abi,omitempty"`
}

type jsonFunc struct {
	Name          string    `json:"name"`
	LinkageName   string    `json:"linkage_name,omitempty"`
	Symbol        string    `json:"symbol,omitempty"`
	Signature     string    `json:"signature,omitempty"`
	Lang          string    `json:"lang"`
	File          string    `json:"file,omitempty"`
	Line          int       `json:"line,omitempty"`
	Entry         string    `json:"entry,omitempty"`
	End           string    `json:"end,omitempty"`
	AfterPrologue string    `json:"body,omitempty"`
	Rets          []string  `json:"rets,omitempty"`
	NoTypes       bool      `json:"no_types,omitempty"`
	TypesFrom     string    `json:"types_from,omitempty"`
	TypesWhyNot   string    `json:"types_why_not,omitempty"`
	Inlined       bool      `json:"inlined,omitempty"`
	Module        string    `json:"module,omitempty"`
	Params        []jsonVar `json:"params"`
	Results       []jsonVar `json:"results,omitempty"`
	// Return is a C function's return type in stap's spelling ("void"
	// included), ReturnKind what a probe does to read it.
	Return     string `json:"return,omitempty"`
	ReturnKind string `json:"return_kind,omitempty"`
}

func toJSONVar(v debuginfo.Variable) jsonVar {
	j := jsonVar{Name: v.Name, Type: typeOf(v.Type), Location: v.Location}
	if v.Type != nil {
		j.GoType = v.Type.GoName
		j.Kind = v.Type.Kind.String()
	}
	return j
}

func toJSONFunc(f *debuginfo.Function) jsonFunc {
	j := jsonFunc{Name: f.Name, LinkageName: f.LinkageName, Symbol: f.Symbol, Lang: f.Lang.String(), File: f.File, Line: f.Line, NoTypes: f.NoTypes, Inlined: f.Inlined, Params: []jsonVar{}}
	if f.Module != "" {
		j.Module = target.ModuleName(f.Module)
	}
	if f.CPP {
		j.Lang, j.Signature = "c++", f.Signature()
	}
	if f.Entry != 0 {
		j.Entry = fmt.Sprintf("0x%x", f.Entry)
	}
	if f.End != 0 {
		j.End = fmt.Sprintf("0x%x", f.End)
	}
	for _, v := range f.Params {
		j.Params = append(j.Params, toJSONVar(v))
	}
	for _, v := range f.Results {
		j.Results = append(j.Results, toJSONVar(v))
	}
	if f.Return != nil {
		j.Return, j.ReturnKind = f.Return.Name, f.Return.Kind.String()
	}
	return j
}

func writeFunctionsJSON(w io.Writer, fns []*debuginfo.Function) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // C++ types: "struct Item const&", "vector<int>"
	for _, f := range fns {
		if err := enc.Encode(toJSONFunc(f)); err != nil {
			return err
		}
	}
	return nil
}
