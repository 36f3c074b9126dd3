package debuginfo

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// TestLargeGoAgainstStap compares every function of cmd/go (about 18,500)
// with stap -L: a wide sample of Go type spellings (generic shapes,
// closures, methods on instantiated types, runtime internals).
func TestLargeGoAgainstStap(t *testing.T) {
	testenv.Long(t, "builds cmd/go and lists it with stap (about 15 s)")
	testenv.NeedStap(t)
	bin := testenv.CmdGo(t)
	stap := stapList(t, buildTree(t, "", ""), fmt.Sprintf("process(%q).function(\"*\")", bin))
	ix := openIndex(t, bin)
	fns, err := ix.Match("*")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string][]*Function{}
	for _, f := range fns {
		byName[f.Name] = append(byName[f.Name], f)
	}
	compared, bad := 0, 0
	for _, s := range stap {
		// stap escapes quotes in names (struct tags of generic shapes).
		name := strings.ReplaceAll(strings.ReplaceAll(s.Name, `\\`, "\x00"), `\"`, `"`)
		name = strings.ReplaceAll(name, "\x00", `\`)
		cands := byName[name]
		if len(cands) == 0 {
			bad++
			if bad < 20 {
				t.Errorf("%s: listed by stap, missing", name)
			}
			continue
		}
		if s.File == "" || s.File == "<unknown source>" {
			continue // symbol-only, or an inline instance without a file
		}
		var same []*Function
		for _, f := range cands {
			if f.File == s.File && fmt.Sprint(f.Line) == s.Line {
				same = append(same, f)
			}
		}
		if len(same) == 0 && hasABI0(ix, name) {
			// stap also lists the ABI0 wrapper (an assembly body); we
			// return the ABIInternal function only, by design.
			continue
		}
		ok := false
		for _, f := range same {
			ok = ok || agreesWithStap(t, ix, f, s.Vars)
		}
		compared++
		if !ok {
			bad++
			if bad < 20 {
				t.Errorf("%s@%s:%d: %s\nstap @%s:%s %s", name, cands[0].File, cands[0].Line, paramsString(cands[0]), s.File, s.Line, varsString(s.Vars))
			}
		}
	}
	t.Logf("%d functions compared, %d differ", compared, bad)
	if compared < 12000 {
		t.Errorf("only %d functions compared", compared)
	}
}

func hasABI0(ix *Index, name string) bool {
	for _, s := range ix.symbols().Lookup(name) {
		if s.ABI0 {
			return true
		}
	}
	return false
}
