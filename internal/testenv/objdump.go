package testenv

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

var retRE = regexp.MustCompile(`\sret\b`)

// ObjdumpRets returns the addresses ("0x4ad1dd") of the RET instructions of
// function fn in bin according to objdump: ground truth for RET-site probes.
func ObjdumpRets(t testing.TB, bin, fn string) []string {
	t.Helper()
	return ObjdumpAllRets(t, bin)[fn]
}

// ObjdumpAllRets is ObjdumpRets for every function bin's symbols name,
// from one objdump run.
func ObjdumpAllRets(t testing.TB, bin string) map[string][]string {
	t.Helper()
	NeedTool(t, "objdump")
	out, err := exec.Command("objdump", "-d", "--no-show-raw-insn", bin).Output()
	if err != nil {
		t.Fatalf("objdump %s: %v", bin, err)
	}
	rets := map[string][]string{}
	fn := ""
	for _, l := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasSuffix(l, ">:") && strings.Contains(l, " <"):
			fn = l[strings.Index(l, " <")+2 : len(l)-2]
		case strings.TrimSpace(l) == "":
			fn = ""
		case fn != "" && retRE.MatchString(l):
			rets[fn] = append(rets[fn], "0x"+strings.TrimSpace(strings.Split(l, ":")[0]))
		}
	}
	return rets
}
