package symfile

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestGeneratedNamesFire runs the probes, not just resolves them: on the
// stripped fixture, probes by the generated names on each function's body
// (after the stack check) and on its RETs fire once per call the program
// itself reports ("CALL <name> ..."), and on its entry at least that often
// (seen: 9 entries for 7 calls of main.Str in the VM, where morestack
// restarts the function), with stap 4.8's BPF runtime on the host and stap
// 5.1's module in the lab VM (TestGeneratedNamesFireInVM).
func TestGeneratedNamesFire(t *testing.T) { testGeneratedNamesFire(t, lab.HostBPF) }

func TestGeneratedNamesFireInVM(t *testing.T) {
	testenv.InVM(t)
	testGeneratedNamesFire(t, lab.VMModule)
}

func testGeneratedNamesFire(t *testing.T, rt lab.Runtime) {
	testenv.Long(t, "traced runs")
	bin, _ := stripped(t, testenv.GoDefault)
	funcs := funcTable(t, bin)
	// Each function with the line the program prints once per call.
	traced := map[string]string{
		"main.Str":               "CALL main.Str s=",
		"main.(*Rect).Area":      "CALL main.(*Rect).Area ",
		"main.Adder.func1":       "CALL main.Adder.func1 ",
		"main.Sum[go.shape.int]": "CALL main.Sum xs=[1 2 3]",
	}
	var picked []Func
	for _, fn := range funcs {
		if _, ok := traced[fn.Name]; ok {
			picked = append(picked, fn)
		}
	}
	if len(picked) != len(traced) {
		t.Fatalf("function table has %d of the %d traced functions", len(picked), len(traced))
	}
	var sites []uint64
	var script strings.Builder
	retsOf, bodyOf := map[string][]uint64{}, map[string]uint64{}
	for _, fn := range picked {
		retsOf[fn.Name] = objdumpRets(t, bin, fn.Entry, fn.End)
		bodyOf[fn.Name] = objdumpBody(t, bin, fn.Entry, fn.End)
		sites = append(sites, bodyOf[fn.Name])
		sites = append(sites, retsOf[fn.Name]...)
	}
	res, err := Write(Request{Binary: bin, BuildID: readelfBuildID(t, bin), Funcs: funcs, Sites: sites, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range picked {
		fmt.Fprintf(&script, "probe process(%s).function(%s).call { printf(\"E %%s\\n\", %s) }\n", stapQuote(bin), nameLit(t, res.Names[fn.Entry]), stapQuote(fn.Name))
		fmt.Fprintf(&script, "probe process(%s).function(%s) { printf(\"B %%s\\n\", %s) }\n", stapQuote(bin), nameLit(t, res.Names[bodyOf[fn.Name]]), stapQuote(fn.Name))
		for _, r := range retsOf[fn.Name] {
			fmt.Fprintf(&script, "probe process(%s).function(%s) { printf(\"R %%s\\n\", %s) }\n", stapQuote(bin), nameLit(t, res.Names[r]), stapQuote(fn.Name))
		}
	}
	env, val, _ := strings.Cut(res.Env, "=")
	t.Setenv(env, val)
	_, err = lab.Stap(rt)
	testenv.Need(t, err == nil, "%v", err)
	r, err := lab.Run(context.Background(), lab.Job{Script: script.String(), Runtime: rt, Cmd: bin})
	if err != nil {
		t.Fatalf("%v\n--- script:\n%s", err, script.String())
	}
	for name, line := range traced {
		// The fixture prints its calls on its standard output.
		calls := strings.Count(string(r.Stdout), line)
		entries, bodies, rets := 0, 0, 0
		for _, l := range r.Lines() {
			switch l {
			case "E " + name:
				entries++
			case "B " + name:
				bodies++
			case "R " + name:
				rets++
			}
		}
		t.Logf("%s: %d calls, %d entries, %d bodies, %d returns", name, calls, entries, bodies, rets)
		if calls == 0 || entries < calls || bodies != calls || rets != calls {
			t.Errorf("%s: program reported %d calls, probes saw %d entries, %d bodies and %d returns\n%s\n%s", name, calls, entries, bodies, rets, r.Output, r.Stdout)
		}
	}
}
