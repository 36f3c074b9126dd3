package command

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/session"
	"github.com/urfave/cli/v2"
)

func showCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "show what a probe can read at a function: parameters, types, locations, returns",
		ArgsUsage: "TARGET FUNCTION",
		Description: `Prints every parameter (and for Go every result) of FUNCTION with its type in
SystemTap's spelling and where it lives at entry. For Go functions the location
is the register ABI assignment computed from the types (the DWARF locations of
Go stack values are not usable by stap), plus the address after the stack-check
prologue and every RET instruction (where stapgen probes returns).
C++ functions are named as qualified in their source (shop::Cart::add), each
overload shown with its signature and mangled name; an alias (glibc's malloc)
shows the function its DWARF describes (__libc_malloc) and says so.

Examples:
   stapgen show kernel lookup_one_qstr_excl
   stapgen show module:overlay ovl_lookup
   stapgen show -r 6.1.0-57-cloud-amd64 /lib/modules/6.1.0-57-cloud-amd64/kernel/drivers/net/macvlan.ko macvlan_start_xmit
   stapgen show /lib/x86_64-linux-gnu/libc.so.6 malloc
   stapgen show ./cart 'shop::geo::area'
   stapgen show /usr/bin/dockerd syscall.Mount
   stapgen show --json ./server 'main.(*Server).Handle'`,
		Flags: append(targetFlags(), &cli.BoolFlag{Name: "json", Usage: "print JSON"}),
		Action: func(c *cli.Context) error {
			if err := needArgs(c.NArg(), c.Command.Name, 2, "TARGET and FUNCTION"); err != nil {
				return err
			}
			shown, err := session.Show(c.Args().Get(0), c.Args().Get(1), openFlags(c))
			if err != nil {
				return openHint(err)
			}
			var out []jsonFunc
			for _, s := range shown {
				out = append(out, describe(s))
			}
			if c.Bool("json") {
				enc := json.NewEncoder(env.Stdout)
				enc.SetEscapeHTML(false) // C++ types: "struct Item const&", "vector<int>"
				enc.SetIndent("", "  ")
				if len(out) == 1 {
					return enc.Encode(out[0])
				}
				return enc.Encode(out)
			}
			for i, f := range out {
				if i > 0 {
					fmt.Fprintln(env.Stdout)
				}
				writeShowText(env.Stdout, f)
			}
			return nil
		},
	}
}

// describe adds the Go ABI facts to a function's JSON form.
func describe(s session.Shown) jsonFunc {
	j := toJSONFunc(s.Func)
	j.TypesFrom, j.TypesWhyNot = s.TypesFrom, s.TypesWhyNot
	g := s.Layout
	if !s.HasLayout {
		return j
	}
	if g.Body != 0 {
		j.AfterPrologue = fmt.Sprintf("0x%x", g.Body)
	}
	for _, r := range g.Rets {
		j.Rets = append(j.Rets, fmt.Sprintf("0x%x", r))
	}
	for i := range j.Params {
		if i < len(g.Params) {
			j.Params[i].ABI = homeString(g.Params[i])
		}
	}
	for i := range j.Results {
		if i < len(g.Results) {
			j.Results[i].ABI = homeString(g.Results[i])
		}
	}
	return j
}

func homeString(h goabi.Loc) string {
	if h.Stack {
		return fmt.Sprintf("stack CFA+%d", h.Off)
	}
	if len(h.Pieces) == 0 {
		return "none (zero size)"
	}
	var regs []string
	for _, p := range h.Pieces {
		regs = append(regs, p.Reg)
	}
	return strings.Join(regs, ",")
}

func writeShowText(w io.Writer, f jsonFunc) {
	fmt.Fprintf(w, "function  %s%s\n", f.Name, f.Signature)
	if f.Symbol != "" {
		fmt.Fprintf(w, "symbol    %s (another name of this code; the DWARF calls it %s, and probes use that)\n", f.Symbol, f.Name)
	}
	if f.LinkageName != "" {
		fmt.Fprintf(w, "linkage   %s\n", f.LinkageName)
	}
	fmt.Fprintf(w, "language  %s\n", f.Lang)
	if f.Module != "" {
		fmt.Fprintf(w, "module    %s\n", f.Module)
	}
	if f.File != "" {
		fmt.Fprintf(w, "source    %s:%d\n", f.File, f.Line)
	}
	if f.Entry != "" {
		fmt.Fprintf(w, "entry     %s\n", f.Entry)
	}
	if f.AfterPrologue != "" {
		fmt.Fprintf(w, "body      %s (prologue end, past the stack check: where entries are probed)\n", f.AfterPrologue)
	}
	if len(f.Rets) > 0 {
		fmt.Fprintf(w, "returns   %s (RET instructions)\n", strings.Join(f.Rets, " "))
	}
	if f.Inlined {
		fmt.Fprintf(w, "inlined   yes: no out-of-line copy, only inline sites\n")
	}
	if f.NoTypes {
		fmt.Fprintf(w, "types     none: the binary has no DWARF (names from its function table)\n")
		if f.TypesWhyNot != "" {
			fmt.Fprintf(w, "          %s\n", f.TypesWhyNot)
		}
		return
	}
	if f.TypesFrom != "" {
		fmt.Fprintf(w, "types     from %s (the binary has no DWARF; checked against its argument frame)\n", f.TypesFrom)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	section := func(title string, vs []jsonVar, at string) {
		if len(vs) == 0 {
			return
		}
		fmt.Fprintf(tw, "%s\n", title)
		for _, v := range vs {
			where := v.ABI
			if where != "" {
				where += at
			} else {
				where = v.Location
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", v.Name, v.Type, where)
		}
	}
	section("params", f.Params, "")
	section("results", f.Results, " (at RET)")
	if f.Return != "" {
		// $return in stap's spelling; a void function has none to print.
		fmt.Fprintf(tw, "return\t%s\n", f.Return)
	}
	tw.Flush()
}
