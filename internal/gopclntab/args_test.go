package gopclntab

import (
	"debug/elf"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// TestArgsMatchCompiler: _func.args as read here equals the argument size
// the Go toolchain's own assembler listing states for each function
// ("TEXT main.Str(SB), ABIInternal, $FRAME-ARGS"), for every function of
// the fixture's main package.
func TestArgsMatchCompiler(t *testing.T) {
	bin := testenv.GoFixture(t, testenv.GoDefault)
	goCmd := testenv.NeedTool(t, "go")
	out, err := exec.Command(goCmd, "build", "-o", t.TempDir()+"/x", "-gcflags=-S", testenv.GoSource(".")).CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-S: %v\n%s", err, out)
	}
	want := map[string]int32{}
	for _, l := range strings.Split(string(out), "\n") {
		// main.Str STEXT size=... args=0x10 locals=0x18 funcid=0x0 align=0x0
		f := strings.Fields(l)
		if len(f) < 4 || !strings.HasPrefix(f[0], "main.") || f[1] != "STEXT" {
			continue
		}
		for _, kv := range f[2:] {
			if v, ok := strings.CutPrefix(kv, "args="); ok {
				n, err := strconv.ParseInt(v, 0, 32)
				if err == nil {
					want[f[0]] = int32(n)
				}
			}
		}
	}
	if len(want) < 10 {
		t.Fatalf("only %d functions in the compiler's listing:\n%s", len(want), out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, fn := range tab.Funcs {
		w, ok := want[fn.Name]
		if !ok {
			continue
		}
		seen++
		if fn.Args != w {
			t.Errorf("%s: args %d, the compiler says %d", fn.Name, fn.Args, w)
		}
	}
	if seen < len(want)/2 {
		t.Errorf("compared %d of %d functions", seen, len(want))
	}
}
