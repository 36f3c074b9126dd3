package script

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// goRets, when set, are the RET addresses of the real fixture's main.*
// functions, which goFacts gives the compile test: stap places a
// .statement only at an instruction the binary's line table has, so the
// goldens' fixed addresses compile only while the fixture's code happens
// to have one there.
var goRets map[string][]uint64

var (
	objdumpText = regexp.MustCompile(`^TEXT (\S+)\(SB\)`)
	objdumpRet  = regexp.MustCompile(`^\s+\S+\s+0x([0-9a-f]+)\s+c3\s+RET\b`)
)

// objdumpRets reads the RET instructions of bin's main package as
// go tool objdump disassembles them.
func objdumpRets(t *testing.T, bin string) map[string][]uint64 {
	t.Helper()
	out, err := exec.Command("go", "tool", "objdump", "-s", `^main\.`, bin).Output()
	if err != nil {
		t.Fatalf("go tool objdump %s: %v", bin, err)
	}
	rets := map[string][]uint64{}
	fn := ""
	for _, l := range strings.Split(string(out), "\n") {
		if m := objdumpText.FindStringSubmatch(l); m != nil {
			fn = m[1]
		} else if m := objdumpRet.FindStringSubmatch(l); m != nil && fn != "" {
			a, _ := strconv.ParseUint(m[1], 16, 64)
			rets[fn] = append(rets[fn], a)
		}
	}
	if len(rets["main.Str"]) == 0 {
		t.Fatalf("objdump shows no RET in %s's main.Str:\n%s", bin, out)
	}
	return rets
}
