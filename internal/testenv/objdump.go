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
	NeedTool(t, "objdump")
	out, err := exec.Command("objdump", "-d", "--no-show-raw-insn", bin).Output()
	if err != nil {
		t.Fatalf("objdump %s: %v", bin, err)
	}
	var rets []string
	in := false
	for _, l := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasSuffix(l, "<"+fn+">:"):
			in = true
		case in && strings.TrimSpace(l) == "":
			return rets
		case in && retRE.MatchString(l):
			rets = append(rets, "0x"+strings.TrimSpace(strings.Split(l, ":")[0]))
		}
	}
	return rets
}
