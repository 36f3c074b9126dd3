package plan

import (
	"path/filepath"

	"github.com/stapgen/stapgen/internal/spec"
)

// scope decides which processes a script records. A shared library's
// probes fire in every process that maps it (stapbpf itself calls malloc),
// so a run without -c or -x (or with --all-processes) says it traces them
// all; with them, InTarget keeps stap's target() alone, as for any target.
func (p *Plan) scope(req *spec.Request, t Target, bpf bool) error {
	if t.Library && !t.Kernel {
		if !p.InTarget && req.PID == 0 && req.Process == "" {
			p.AllProcesses = true
			p.Notes = append(p.Notes, filepath.Base(t.Path)+" is a shared library: every process that maps it is traced (run -c CMD or -x PID traces one)")
		}
	}
	if bpf && req.Process != "" && !t.Kernel {
		// stapbpf 4.8 compares execname() with a string as unequal in
		// user-space probes, whatever the name (checked against the comm
		// it prints), so the filter would drop every record.
		if !p.InTarget {
			return refuse("--process under the BPF runtime: stapbpf cannot compare execname() in user-space probes (every record would be dropped); run with -c CMD or -x PID, or --runtime kernel")
		}
		p.Process = ""
		p.Notes = append(p.Notes, "--process not checked under the BPF runtime (stapbpf cannot compare execname() in user-space probes): records are limited to the -c/-x process")
	}
	return nil
}
