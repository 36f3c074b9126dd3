package gofacts

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// nmFuncs lists the text symbols of the unstripped build of the same
// fixture, by `go tool nm`: the stripped build has the same functions,
// and nm is not the code under test.
func nmFuncs(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command(testenv.NeedTool(t, "go"), "tool", "nm", testenv.GoFixture(t, testenv.GoDefault)).Output()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range testenv.Lines(out) {
		f := strings.Fields(l)
		if len(f) >= 3 && (f[1] == "T" || f[1] == "t") {
			names = append(names, strings.Join(f[2:], " "))
		}
	}
	return names
}

// TestStrippedMatch: globs on a stripped binary mean what they mean with
// DWARF. A pointer receiver's "(*" is literal (runtime.(*p).* is p's
// methods, not runtime.(*mheap).init), and '\' quotes a star.
func TestStrippedMatch(t *testing.T) {
	b, err := target.Open(testenv.GoFixture(t, testenv.GoStripped))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s, err := Stripped(b)
	if err != nil {
		t.Fatal(err)
	}
	all := nmFuncs(t)
	want := func(pred func(string) bool) []string {
		var out []string
		for _, n := range all {
			if pred(n) && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{"runtime.(*p).*", want(func(n string) bool { return strings.HasPrefix(n, "runtime.(*p).") })},
		{`runtime.(\*mheap).init`, []string{"runtime.(*mheap).init"}},
		{`runtime.(\*mheap).in?t`, []string{"runtime.(*mheap).init"}},
		{"main.Str", []string{"main.Str"}},
	} {
		fs, err := s.Match(tc.pattern)
		if err != nil {
			t.Errorf("Match(%s): %v", tc.pattern, err)
			continue
		}
		var got []string
		for _, f := range fs {
			got = append(got, f.Name)
		}
		slices.Sort(got)
		if len(tc.want) == 0 || !slices.Equal(got, tc.want) {
			t.Errorf("Match(%s) = %v\nwant (go tool nm) %v", tc.pattern, got, tc.want)
		}
	}
}
