package debuginfo

import (
	"fmt"
	"sort"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo/nameindex"
	"github.com/stapgen/stapgen/internal/kernelhist"
)

// NotFoundError says no function has the name (or matches the patterns);
// Near lists the closest names, best first.
type NotFoundError struct {
	Name string
	Near []string
}

func (e *NotFoundError) Error() string {
	if len(e.Near) == 0 {
		return fmt.Sprintf("function %q not found", e.Name)
	}
	return fmt.Sprintf("function %q not found (similar: %s)", e.Name, strings.Join(e.Near, ", "))
}

const maxNear = 8

// near ranks every known function name by similarity to name. Edit
// distance alone misses renames (__lookup_hash → lookup_one_qstr_excl
// share one word and little else), so names are also compared as bags of
// words weighted by rarity: sharing "lookup" means more than sharing "do".
func (ix *Index) near(name string) []string {
	var all []string
	if ix.names != nil {
		all = ix.names.Names
	} else {
		all = ix.symbols().Names()
	}
	return Suggest(name, all)
}

// Suggest ranks the names of all (sorted) that name may have meant, as a
// miss in one index does: the kernel's renames of name first, then the
// most similar. The target "kernel" ranks vmlinux's and its modules'
// names with it.
func Suggest(name string, all []string) []string {
	out := append([]string(nil), renamedIn(name, all)...)
	for _, n := range nameindex.Similar(name, all, maxNear) {
		if !contains(out, n) && len(out) < maxNear {
			out = append(out, n)
		}
	}
	return out
}

// renamedIn is the kernel's renames of name (kernelhist) that this binary
// has: they come first, before the general similarity search.
func renamedIn(name string, all []string) []string {
	var out []string
	for _, n := range kernelhist.Renamed(name) {
		i := sort.SearchStrings(all, n)
		if i < len(all) && all[i] == n {
			out = append(out, n)
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
