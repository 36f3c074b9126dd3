package command

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// valueRE is a line of the fixture's -values sequence: the function, the
// parameter, its %v and its %T.
var valueRE = regexp.MustCompile(`^CALL (main\.ErrOf|main\.AnyOf) (e|x)=(.*) t=(\S+)$`)

type printedValue struct{ fn, param, v, typ string }

func printedValues(t *testing.T, stderr string) []printedValue {
	var out []printedValue
	for _, l := range strings.Split(stderr, "\n") {
		if m := valueRE.FindStringSubmatch(l); m != nil {
			out = append(out, printedValue{m[1], m[2], m[3], m[4]})
		}
	}
	if len(out) < 20 {
		t.Fatalf("the fixture printed %d values:\n%s", len(out), stderr)
	}
	return out
}

// TestGoValuesInVM: every error and any value of the fixture's -values
// sequence (the standard library's error types, wrapped chains, errnos,
// context errors, numbers, strings, floats, durations, times) decodes to
// exactly what the program's own %v printed, and the JSON names the
// dynamic type as %T does; floats of a struct in memory too. The binary
// with DWARF and its stripped build (-s -w: types from the fixture's
// source, type names from the runtime's metadata) alike, built by Debian's
// Go 1.19, the host's Go and the released 1.21 and 1.24.
func TestGoValuesInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	pf := writeProbeFile(t, "probe main.ErrOf\nprobe main.AnyOf\nprobe main.PtOf p.X p.Y\n")
	cases := []struct {
		name  string
		goCmd func(t *testing.T) string
		v     testenv.GoVariant
	}{
		{"host", func(*testing.T) string { return "go" }, testenv.GoDefault},
		{"host-stripped", func(*testing.T) string { return "go" }, testenv.GoStripped},
		{"go1.19", func(t *testing.T) string { return testenv.Go119(t) }, testenv.GoDefault},
		{"go1.21.13", func(t *testing.T) string { return testenv.GoToolchain(t, "go1.21.13") }, testenv.GoDefault},
		{"go1.24.0", func(t *testing.T) string { return testenv.GoToolchain(t, "go1.24.0") }, testenv.GoDefault},
	}
	for _, c := range cases {
		v := c.v
		t.Run(c.name, func(t *testing.T) {
			bin := testenv.GoFixtureWith(t, c.goCmd(t), v)
			args := []string{"run", "--stap", vm, "--stap-version", "5.1", "-c", bin + " -values", "--format", "json", "--probe-file", pf}
			if v == testenv.GoStripped {
				args = append(args, "--source", filepath.Dir(testenv.GoSource("main.go")))
			}
			out, errs, code := stapgen(t, append(args, bin)...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errs)
			}
			var evs []map[string]any
			for _, e := range exactEvents(t, out) {
				if e["probe"] != "main.PtOf" {
					evs = append(evs, e)
				}
			}
			want := printedValues(t, errs)
			if len(evs) != len(want) {
				t.Fatalf("%d events for %d calls\n%s", len(evs), len(want), out)
			}
			for i, w := range want {
				e := evs[i]
				f := jsonEvent(e).field(w.param)
				if e["probe"] != w.fn {
					t.Errorf("event %d is %v, the program called %s", i, e["probe"], w.fn)
					continue
				}
				if got := fmt.Sprint(f["value"]); got != w.v && !strings.HasPrefix(w.typ, "*main.") {
					t.Errorf("%s %s (%s) = %q, the program printed %q", w.fn, w.param, w.typ, got, w.v)
				}
				gt := f["go_type"]
				if gt == nil {
					gt = "<nil>"
				}
				if fmt.Sprint(gt) != w.typ {
					t.Errorf("%s %s = %q: go_type %v, the program's %%T %s", w.fn, w.param, w.v, gt, w.typ)
				}
			}
			pt := said(t, errs, "CALL")["main.PtOf"][0]
			for _, e := range exactEvents(t, out) {
				if e["probe"] == "main.PtOf" {
					for _, k := range []string{"p.X", "p.Y"} {
						if got := val(e, k); got != pt[k] {
							t.Errorf("main.PtOf %s = %s, the program printed %s", k, got, pt[k])
						}
					}
				}
			}
		})
	}
}
