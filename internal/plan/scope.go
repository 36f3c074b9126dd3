package plan

import (
	"path/filepath"

	"github.com/stapgen/stapgen/internal/spec"
)

// scope decides which processes a script records. A shared library's
// probes fire in every process that maps it (stapbpf itself calls malloc),
// so a run with -c or -x keeps the records of stap's target() alone, and
// one without says it traces them all. Executables keep today's rule, -c
// probing every process running the binary (issue #18 may extend
// OnlyTarget to them: it is the one switch).
func (p *Plan) scope(req *spec.Request, t Target, bpf bool) error {
	if t.Library && !t.Kernel {
		switch {
		case req.TargetProcess:
			p.OnlyTarget = true
		case req.PID == 0 && req.Process == "":
			p.AllProcesses = true
			p.Notes = append(p.Notes, filepath.Base(t.Path)+" is a shared library: every process that maps it is traced (run -c CMD or -x PID traces one)")
		}
	}
	if bpf && req.Process != "" && !t.Kernel {
		// stapbpf 4.8 compares execname() with a string as unequal in
		// user-space probes, whatever the name (checked against the comm
		// it prints), so the filter would drop every record.
		if !p.OnlyTarget {
			return refuse("--process under the BPF runtime: stapbpf cannot compare execname() in user-space probes (every record would be dropped); run with -c CMD or -x PID, or --runtime kernel")
		}
		p.Process = ""
		p.Notes = append(p.Notes, "--process not checked under the BPF runtime (stapbpf cannot compare execname() in user-space probes): records are limited to the -c/-x process")
	}
	return nil
}
