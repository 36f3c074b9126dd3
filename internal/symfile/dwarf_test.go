package symfile

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestPatternWithDWARF: in a binary with DWARF, where stap matches DIE
// names, every pointer-receiver method of the fixture's main package is
// probed by its Pattern, and each resolves at its own entry (the unstripped
// twin's nm) in stap 4.8 and 5.1. The escaped spelling, for contrast,
// matches nothing.
func TestPatternWithDWARF(t *testing.T) {
	stap := testenv.NeedTool(t, "stap")
	tree := testenv.HostBuildTree(t)
	stap51, err := lab.Stap(lab.Trixie)
	testenv.Need(t, err == nil, "%v", err)
	_, bin := stripped(t, testenv.GoDefault)
	syms := nmFuncs(t, bin)
	var names []string
	for n := range syms {
		names = append(names, n)
	}
	var b strings.Builder
	var want []uint64
	base := loadBase(t, bin)
	m := NewMatcher(names)
	for _, n := range names {
		if !strings.HasPrefix(n, "main.(*") {
			continue
		}
		p, ok := m.Pattern(n)
		if !ok {
			t.Fatalf("Pattern(%q) is ambiguous in the fixture", n)
		}
		fmt.Fprintf(&b, "probe process(%s).function(%s).call { printf(\"x\\n\") }\n", stapQuote(bin), nameLit(t, p))
		want = append(want, syms[n][0]-base)
	}
	if len(want) == 0 {
		t.Fatal("the fixture has no pointer-receiver methods in main")
	}
	sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
	ps := probeSet{script: b.String(), want: want}
	dir := t.TempDir()
	f := filepath.Join(dir, "s.stp")
	os.WriteFile(f, []byte(ps.script), 0o644)
	escaped := filepath.Join(dir, "escaped.stp")
	os.WriteFile(escaped, []byte(fmt.Sprintf("probe process(%s).function(\"main.(\\\\*Rect).Area\").call { printf(\"x\\n\") }\n", stapQuote(bin))), 0o644)
	for _, run := range []struct {
		who, bin string
		args     []string
	}{
		{"stap 4.8", stap, []string{"-r", tree, "-p2", "--runtime=bpf"}},
		{"stap 5.1", stap51, []string{"-r", lab.Release(), "-p2"}},
	} {
		out, err := stapRun(t, "", run.bin, append(run.args, f)...)
		if err != nil {
			t.Fatalf("%s: %v\n%s\n--- script:\n%s", run.who, err, out, ps.script)
		}
		checkResolved(t, run.who, out, ps)
		out, err = stapRun(t, "", run.bin, append(run.args, escaped)...)
		if err == nil || !strings.Contains(string(out), "no match") {
			t.Errorf("%s resolved the escaped name main.(\\\\*Rect).Area (err %v):\n%s", run.who, err, out)
		}
	}
}
