package command

import (
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// TestCatalogRecipes: every recipe parses, names a target kind and an
// example, and is listed and printed by `stapgen probes`.
func TestCatalogRecipes(t *testing.T) {
	all, err := catalog()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 5 {
		t.Fatalf("%d recipes", len(all))
	}
	list, _, code := stapgen(t, "probes")
	if code != 0 {
		t.Fatal("probes failed")
	}
	for _, r := range all {
		req := r.Parsed.Request
		if err := req.Normalize(); err != nil {
			t.Errorf("%s: %v", r.Name, err)
		}
		if r.Target == "" || r.Description == "" || !strings.HasPrefix(r.Example, "stapgen ") {
			t.Errorf("%s: incomplete header %+v", r.Name, r)
		}
		if !strings.Contains(list, r.Name) {
			t.Errorf("%s not listed", r.Name)
		}
		if out, _, code := stapgen(t, "probes", r.Name); code != 0 || out != string(r.Source) {
			t.Errorf("probes %s printed %q", r.Name, out)
		}
	}
	if _, _, code := stapgen(t, "probes", "no-such-recipe"); code != ExitUsage {
		t.Errorf("unknown recipe: exit %d", code)
	}
}

func TestVersionNamesStap(t *testing.T) {
	testenv.NeedStap(t)
	t.Setenv("STAPGEN_STAP", "")
	out, _, code := stapgen(t, "--version")
	if code != 0 || !strings.Contains(out, "stapgen ") || !strings.Contains(out, "stap: ") || !strings.Contains(out, "go1.") {
		t.Errorf("--version: %q", out)
	}
}
