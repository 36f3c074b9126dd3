package command

import (
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestRunHitsStapCache: a repeated run of the same script is compiled
// once. stap 5.1 says so itself ("using cached" at passes 3 and 4); its
// cache hashes the script's path with its text, so this holds only if
// each run puts the script at the same path. Passes 1-4 only (-p4): the
// cache is the translator's, the same for a run that goes on to load.
func TestRunHitsStapCache(t *testing.T) {
	stap51 := labStap(t, lab.Trixie)
	bin := testenv.CFixture(t, testenv.CO0)
	t.Setenv("SYSTEMTAP_DIR", t.TempDir()) // empty: the first run compiles
	args := []string{"run", "--stap", stap51, "-r", lab.Release(), "--verbose", "--stap-arg", "-p4", "--stap-arg", "-v", "-c", bin, bin, "greet"}
	for i, want := range []string{"Pass 4: compiled C into", "Pass 4: using cached"} {
		_, errs, code := stapgen(t, args...)
		if code != 0 {
			t.Fatalf("run %d: exit %d\n%s", i+1, code, errs)
		}
		if !strings.Contains(errs, want) || i == 1 && !strings.Contains(errs, "Pass 3: using cached") {
			t.Errorf("run %d: stap -v did not say %q\n%s", i+1, want, errs)
		}
	}
}
