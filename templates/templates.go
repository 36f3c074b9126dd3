// Package templates holds the SystemTap script templates stapgen renders.
//
// internal/script's generator for each runtime executes them; they hold no
// decisions: what to read and print was computed and validated by
// internal/plan as a typed program, and each kind of read, print, filter or
// probe point is one named template here. A user may render with their own
// copy of these files (stapgen gen --templates DIR): changing how any value
// is read or printed is editing its template.
//
//   - script.stp.tmpl: the whole script ("script").
//   - probe.stp.tmpl: one probe handler ("probe") and its probe points
//     ("point.function", "point.statement", "point.address").
//   - reads.stp.tmpl: reads ("expr.Reg", "expr.Var", "expr.Mem", ...) and
//     filters ("cond.And", "cond.Compare", "cond.StrEq"), for both runtimes.
//   - kernel.stp.tmpl, bpf.stp.tmpl: each runtime's record head and tail
//     and its prints, one per kind of value ("value.Int", "value.Bytes", ...).
//   - stat-kernel.stp.tmpl, stat-bpf.stp.tmpl: each runtime's keyed and
//     summed statistics (plan.Stat): their arrays, how a call adds to
//     them, how they print ("stat.add", "stat.dump", "agg.interval").
//   - helpers.stp.tmpl, helpers-go.stp.tmpl, helpers-gomap.stp.tmpl: the
//     kernel runtime's stap functions ("helper.ucstr", "helper.gstr",
//     "helper.gmap_swiss", ...), emitted only when a print needs them.
package templates

import "embed"

// FS holds the built-in templates.
//
//go:embed *.stp.tmpl
var FS embed.FS

// Files are the template files of a runtime's set ("kernel" or "bpf"),
// nil for an unknown runtime.
func Files(runtime string) []string {
	common := []string{"script.stp.tmpl", "probe.stp.tmpl", "reads.stp.tmpl"}
	switch runtime {
	case "kernel":
		return append(common, "kernel.stp.tmpl", "helpers.stp.tmpl", "helpers-go.stp.tmpl",
			"helpers-gomap.stp.tmpl", "stat-kernel.stp.tmpl")
	case "bpf":
		return append(common, "bpf.stp.tmpl", "stat-bpf.stp.tmpl")
	}
	return nil
}
