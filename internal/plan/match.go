package plan

import (
	"slices"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
)

// matchFirst resolves "a|b|c": the first alternative that names existing
// functions wins, so one recipe serves kernels before and after a rename
// (__lookup_hash became lookup_one_qstr_excl in Linux 6.x).
func matchFirst(r Resolver, pattern string) ([]*debuginfo.Function, error) {
	alts := strings.Split(pattern, "|")
	var firstErr error
	for _, a := range alts {
		if a == "" {
			continue
		}
		fns, err := r.Match(a)
		if err == nil && len(fns) > 0 {
			return fns, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = refuse("no function matches %s", pattern)
	}
	return nil, firstErr
}

// overloads renames the C++ functions of fns that share a name with
// another function of different linkage, "shop::geo::area(double r)", so
// each probe's events say which overload fired. fns is sorted by name.
func overloads(fns []*debuginfo.Function) []*debuginfo.Function {
	out := slices.Clone(fns)
	for i := 0; i < len(out); {
		j := i + 1
		for j < len(out) && out[j].Name == out[i].Name {
			j++
		}
		distinct := map[string]bool{}
		for _, f := range out[i:j] {
			distinct[f.LinkageName] = true
		}
		if len(distinct) > 1 {
			for k := i; k < j; k++ {
				if out[k].LinkageName != "" {
					c := *out[k]
					c.Name += c.Signature()
					out[k] = &c
				}
			}
		}
		i = j
	}
	return out
}
