package session

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/target"
)

// castTypes finds the types field-path casts name in the target's DWARF.
type castTypes struct {
	ix *debuginfo.Index
	// module is how stap's @cast names the target: "kernel" or its path.
	module string
	kernel bool
}

// castTypes is nil (casts refused) for a target without a DWARF index.
func (t *Target) castTypes() plan.TypeFinder {
	ix, ok := t.Funcs.(*debuginfo.Index)
	if !ok || ix == nil {
		return nil
	}
	c := &castTypes{ix: ix, module: t.Bin.Path}
	if t.Bin.Kind == target.KindKernel {
		c.module, c.kernel = "kernel", true
	}
	return c
}

func (c *castTypes) CastType(name, module string) (*debuginfo.Type, string, error) {
	switch {
	case module == "":
	case c.kernel && module == "kernel":
	default:
		return nil, "", fmt.Errorf("types of %q are not read with this target; make %s the target, or drop the @%s", module, module, module)
	}
	t, err := c.ix.TypeByName(name)
	if errors.Is(err, debuginfo.ErrNoType) {
		if near := c.ix.NearTypes(name); len(near) > 0 {
			return nil, "", fmt.Errorf("no type %q in %s (similar: %s)", name, c.module, strings.Join(near, ", "))
		}
		return nil, "", fmt.Errorf("no type %q in %s", name, c.module)
	}
	if err != nil {
		return nil, "", err
	}
	return t, c.module, nil
}
