package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// TestTemplatesRoundTrip: the exported templates render the same script
// as the built-in ones; an edited value template changes that value's
// print; a second export does not overwrite without --force.
func TestTemplatesRoundTrip(t *testing.T) {
	bin := testenv.CFixture(t, testenv.CO0)
	dir := filepath.Join(t.TempDir(), "tmpl")
	out, errs, code := stapgen(t, "templates", dir)
	if code != 0 || !strings.Contains(out, "kernel.stp.tmpl") {
		t.Fatalf("templates: exit %d\n%s%s", code, out, errs)
	}
	builtin, _, _ := stapgen(t, "gen", bin, "walk", "--fields", "n->next")
	mine, errs, code := stapgen(t, "gen", "--templates", dir, bin, "walk", "--fields", "n->next")
	if code != 0 || mine != builtin {
		t.Fatalf("exported templates render differently (exit %d):\n%s\n%s", code, mine, errs)
	}
	k := filepath.Join(dir, "kernel.stp.tmpl")
	b, _ := os.ReadFile(k)
	edited := strings.Replace(string(b), `printf(" 0x%x", {{expr .V.X}})`, `printf(" 0x%016x", {{expr .V.X}})`, 1)
	os.WriteFile(k, []byte(edited), 0o644)
	mine, _, _ = stapgen(t, "gen", "--templates", dir, bin, "walk", "--fields", "n->next")
	if !strings.Contains(mine, `printf(" 0x%016x", $n->next)`) {
		t.Errorf("the edited value.Ptr was not used:\n%s", mine)
	}
	if _, errs, code = stapgen(t, "templates", dir); code != ExitUsage || !strings.Contains(errs, "--force") {
		t.Errorf("second export: exit %d\n%s", code, errs)
	}
	if _, _, code = stapgen(t, "templates", "--force", dir); code != 0 {
		t.Errorf("--force: exit %d", code)
	}
}
