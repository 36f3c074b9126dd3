package plan

import (
	"fmt"
	"slices"
)

// setStapArgs derives the stap options from what the probes need: -g for
// address probes that are not line-table rows (Go RET sites), -d and
// --ldd for user backtraces, and for kernel backtraces of module probes
// -d for each module and for the kernel (stap names, and unwinds through,
// only the modules it has symbols for; once -d is given the kernel is no
// longer implied). --all-modules would not do: it names the modules loaded
// where stap compiles, and a script for another release or a guest is
// compiled where none of them is loaded.
func (p *Plan) setStapArgs() {
	p.StapArgs = nil
	if p.Guru {
		p.StapArgs = append(p.StapArgs, "-g")
	}
	if p.UserStack && !p.Target.Kernel {
		p.StapArgs = append(p.StapArgs, "-d", p.Target.Path, "--ldd")
	}
	if p.KernelStack {
		var mods []string
		for _, pr := range p.Probes {
			for _, pt := range pr.Points {
				if pt.Module != "" && !slices.Contains(mods, pt.Module) {
					mods = append(mods, pt.Module)
				}
			}
		}
		if len(mods) > 0 {
			p.StapArgs = append(p.StapArgs, "-d", "kernel")
			for _, m := range mods {
				p.StapArgs = append(p.StapArgs, "-d", m)
			}
		}
	}
}

// Sites are the addresses the plan probes inside functions (bodies past
// the stack check, RET instructions), sorted: what a generated debug file
// must name beside the function entries.
func (p *Plan) Sites() []uint64 {
	var out []uint64
	for _, pr := range p.Probes {
		for _, pt := range pr.Points {
			if pt.Kind == PointAddress {
				out = append(out, pt.Addr)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// UseSymbols names every point of a Symbols target by the generated debug
// file's symbol for its address (names, from symfile), and adds env, the
// environment stap needs to find that file. No address probe remains, so
// guru mode is dropped.
func (p *Plan) UseSymbols(names map[uint64]string, env string) error {
	if !p.Target.Symbols {
		return fmt.Errorf("plan: UseSymbols on a target that has its own symbols")
	}
	for i := range p.Probes {
		pts := p.Probes[i].Points
		for j, pt := range pts {
			name, ok := names[pt.Addr]
			if !ok || pt.Addr == 0 {
				return fmt.Errorf("plan: no symbol for %s at 0x%x", p.Probes[i].Function, pt.Addr)
			}
			switch pt.Kind {
			case PointFunction:
				pts[j].Name = name
			case PointAddress:
				pts[j] = Point{Kind: PointSymbol, Path: pt.Path, Name: name, Addr: pt.Addr}
			}
		}
	}
	p.Guru = false
	p.setStapArgs()
	p.StapEnv = append(p.StapEnv, env)
	return nil
}
