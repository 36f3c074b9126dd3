package session

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/target"
)

// castTypes finds the types field-path casts name: in the target's DWARF,
// or for a kernel target in vmlinux ("kernel") or a module named in the
// cast, opened once with the target's options.
type castTypes struct {
	t *Target
	// self is the target's own index and how stap's @cast names it.
	self       *debuginfo.Index
	selfModule string
	// kernelSide: the target is vmlinux or a module, so "kernel" and
	// module names mean something.
	kernelSide bool
	opened     map[string]*castSource
}

type castSource struct {
	bin    *target.Binary
	ix     *debuginfo.Index
	module string
	err    error
}

// castTypes is nil (casts refused) for a target without a DWARF index.
func (t *Target) castTypes() plan.TypeFinder {
	var ix *debuginfo.Index
	switch f := t.Funcs.(type) {
	case *debuginfo.Index:
		ix = f
	case *kernelFuncs:
		ix, _ = f.vmlinux.(*debuginfo.Index)
	}
	if ix == nil {
		return nil
	}
	c := &castTypes{t: t, self: ix, selfModule: t.Bin.Path, opened: map[string]*castSource{}}
	switch {
	case t.Bin.Module != "":
		c.selfModule, c.kernelSide = stapModuleName(t.Bin, t.Release), true
	case t.Bin.Kind == target.KindKernel:
		c.selfModule, c.kernelSide = "kernel", true
	}
	t.casts = c
	return c
}

func (c *castTypes) CastType(name, module string) (*debuginfo.Type, string, error) {
	ix, stapModule := c.self, c.selfModule
	if module != "" && module != c.t.Bin.Module && !(module == "kernel" && c.selfModule == "kernel") {
		if !c.kernelSide {
			return nil, "", fmt.Errorf("@%s: a user-space target's casts name its own types only", module)
		}
		src := c.open(module)
		if src.err != nil {
			return nil, "", fmt.Errorf("@%s: %w", module, src.err)
		}
		ix, stapModule = src.ix, src.module
	}
	t, err := ix.TypeByName(name)
	if errors.Is(err, debuginfo.ErrNoType) {
		if near := ix.NearTypes(name); len(near) > 0 {
			return nil, "", fmt.Errorf("no type %q in %s (similar: %s)", name, stapModule, strings.Join(near, ", "))
		}
		return nil, "", fmt.Errorf("no type %q in %s", name, stapModule)
	}
	if err != nil {
		return nil, "", err
	}
	return t, stapModule, nil
}

// open finds vmlinux or a module of the target's release, as the targets
// "kernel" and "module:NAME" would.
func (c *castTypes) open(module string) *castSource {
	if s, ok := c.opened[module]; ok {
		return s
	}
	s := &castSource{}
	c.opened[module] = s
	name := target.ModulePrefix + module
	if module == "kernel" {
		name = target.KernelTarget
	}
	o := c.t.opts
	o.Release = c.t.Release
	s.bin, _, s.err = OpenBinary(name, o)
	if s.err != nil {
		return s
	}
	if s.ix, s.err = debuginfo.OpenWith(s.bin, debuginfo.Options{NoCache: o.NoCache}); s.err != nil {
		s.bin.Close()
		s.bin = nil
		return s
	}
	s.module = "kernel"
	if module != "kernel" {
		s.module = stapModuleName(s.bin, c.t.Release)
	}
	return s
}

func (c *castTypes) close() {
	for _, s := range c.opened {
		if s.bin != nil {
			s.bin.Close()
		}
	}
}
