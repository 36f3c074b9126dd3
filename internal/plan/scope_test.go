package plan

import (
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
)

// TestLibraryScope: a shared library's probes fire in every process that
// maps it, so a run with -c/-x keeps target()'s records alone and one
// without says it traces every process; an executable keeps today's rule.
// Under BPF, --process is refused (stapbpf 4.8's execname() comparison is
// false in user-space probes: `ls` compared unequal to "ls" on this host)
// unless -c/-x limits the records anyway.
func TestLibraryScope(t *testing.T) {
	malloc := &debuginfo.Function{Name: "__libc_malloc", Symbol: "malloc",
		Params: []debuginfo.Variable{{Name: "bytes", Type: tInt, Location: "reg rdi"}}}
	cases := []struct {
		name      string
		library   bool
		req       spec.Request
		only, all bool
		process   string
		refused   string
	}{
		{"library with -c", true, spec.Request{InTarget: true}, true, false, "", ""},
		{"library alone", true, spec.Request{}, false, true, "", ""},
		{"library --pid", true, spec.Request{PID: 7}, false, false, "", ""},
		{"executable with -c", false, spec.Request{InTarget: true}, true, false, "", ""},
		{"kernel runtime --process", true, spec.Request{Process: "ls"}, false, false, "ls", ""},
		{"bpf --process", true, spec.Request{Process: "ls", Runtime: spec.RuntimeBPF}, false, false, "", "stapbpf cannot compare execname()"},
		{"bpf --process with -c", true, spec.Request{Process: "ls", Runtime: spec.RuntimeBPF, InTarget: true}, true, false, "", ""},
	}
	for _, c := range cases {
		req := c.req
		req.Probes = []spec.Probe{{Function: "malloc", Entry: true}}
		p, err := Build(Inputs{Request: &req, Target: Target{Path: "/lib/x86_64-linux-gnu/libc.so.6", Library: c.library},
			Funcs: resolver{"malloc": malloc}, Stap: stap.Version{}})
		if c.refused != "" {
			if err == nil || !strings.Contains(err.Error(), c.refused) {
				t.Errorf("%s: err %v, want one saying %q", c.name, err, c.refused)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if p.InTarget != c.only || p.AllProcesses != c.all || p.Process != c.process {
			t.Errorf("%s: InTarget %v AllProcesses %v Process %q, want %v %v %q", c.name, p.InTarget, p.AllProcesses, p.Process, c.only, c.all, c.process)
		}
		noted := strings.Contains(strings.Join(p.Notes, "\n"), "every process that maps it")
		if noted != c.all {
			t.Errorf("%s: notes %q", c.name, p.Notes)
		}
	}
}
