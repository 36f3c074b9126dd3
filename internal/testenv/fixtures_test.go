package testenv

import (
	"os/exec"
	"strings"
	"testing"
)

func TestFixturesBuildAndRun(t *testing.T) {
	for _, v := range GoVariants {
		bin := GoFixture(t, v)
		out, err := exec.Command(bin).Output()
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if !strings.Contains(string(out), `CALL main.Str s="hello world"`) {
			t.Fatalf("%s: unexpected output:\n%s", v, out)
		}
	}
	for _, v := range []CVariant{CO0, CO2} {
		out, err := exec.Command(CFixture(t, v)).Output()
		if err != nil || !strings.Contains(string(out), "CALL add a=2 b=40") {
			t.Fatalf("%s: %v\n%s", v, err, out)
		}
	}
}
