package session

import (
	"fmt"

	"github.com/stapgen/stapgen/internal/gofacts"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/symfile"
)

// nameBySymbols writes (or reuses) the debug file that gives a binary
// without DWARF or symbols one symbol per function and per probed address,
// and names the plan's points by them. dir is the cache directory, "" for
// the default.
func nameBySymbols(t *Target, p *plan.Plan) error {
	funcs := t.Funcs
	if funcs == nil {
		// Planned from the function cache: only the function table is
		// read, not the types from source.
		s, err := gofacts.Stripped(t.Bin)
		if err != nil {
			return err
		}
		funcs = s
	}
	fns, err := funcs.Match("*")
	if err != nil {
		return err
	}
	req := symfile.Request{Binary: t.Bin.Path, BuildID: t.Bin.BuildID, Sites: p.Sites()}
	for _, f := range fns {
		req.Funcs = append(req.Funcs, symfile.Func{Name: f.Name, Entry: f.Entry, End: f.End})
	}
	res, err := symfile.Write(req)
	if err != nil {
		return fmt.Errorf("naming %s's functions for stap: %w", t.Bin.Path, err)
	}
	return p.UseSymbols(res.Names, res.Env)
}
