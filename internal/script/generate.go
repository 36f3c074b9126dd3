package script

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"text/template"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/spec"
)

// generator writes one plan's typed program as stap, through the template
// set of the plan's runtime. It is used for one Render call: it collects
// the kernel-runtime helpers the prints name, so the script carries only
// those.
type generator struct {
	t       *template.Template
	bpf     bool
	helpers map[string]bool
}

// newGenerator's helpers receive the plan (helper.gdyn reads its GoTypes).
func newGenerator(set *template.Template, bpf bool, p *plan.Plan) (*generator, error) {
	t, err := set.Clone()
	if err != nil {
		return nil, err
	}
	g := &generator{t: t, bpf: bpf, helpers: map[string]bool{}}
	t.Funcs(template.FuncMap{
		"expr":   g.expr,
		"value":  g.value,
		"cond":   g.cond,
		"point":  g.point,
		"need":   g.need,
		"key":    g.key,
		"keyout": g.keyOut,
		"helper": func(name string) (string, error) { return g.exec("helper."+name, p) },
	})
	return g, nil
}

// exec runs the named template; a template set without it is an error
// that names it, so a user's --templates directory missing one says so.
func (g *generator) exec(name string, data any) (string, error) {
	if g.t.Lookup(name) == nil {
		return "", fmt.Errorf("templates define no %q", name)
	}
	var b strings.Builder
	if err := g.t.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// kind names the template of a program node: its Go type's name.
func kind(x any) string { return reflect.TypeOf(x).Name() }

func (g *generator) expr(e plan.Expr) (string, error) { return g.exec("expr."+kind(e), e) }

func (g *generator) cond(c plan.Cond) (string, error) { return g.exec("cond."+kind(c), c) }

// valueView is what a value template receives: the value, and the stap
// expression of the CPU number (the BPF runtime tags every print with it).
// A record's piece also gets I, its field's index, which names the locals
// a piece keeps between its guard and its print (kernel.stp.tmpl,
// guard.Bytes).
type valueView struct {
	V   plan.Value
	CPU string
	I   int
}

func (g *generator) value(v plan.Value, cpu string) (string, error) {
	return g.exec("value."+kind(v), valueView{V: v, CPU: cpu})
}

func (g *generator) point(p plan.Point) (string, error) {
	name := map[plan.PointKind]string{plan.PointFunction: "function", plan.PointStatement: "statement", plan.PointAddress: "address", plan.PointSymbol: "symbol"}[p.Kind]
	if name == "" {
		return "", fmt.Errorf("probe point kind %d", p.Kind)
	}
	return g.exec("point."+name, p)
}

// need records that a print calls the kernel-runtime helper "helper.NAME".
func (g *generator) need(name string) (string, error) {
	if g.t.Lookup("helper."+name) == nil {
		return "", fmt.Errorf("templates define no %q", "helper."+name)
	}
	g.helpers[name] = true
	return "", nil
}

// neededHelpers are the helpers to emit, in a stable order.
func (g *generator) neededHelpers() []string {
	var out []string
	for n := range g.helpers {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// ProbeView is what the "probe" template receives.
type ProbeView struct {
	P   plan.Probe
	Max int
	// PID and Process (an execname) filter every probe of the plan, and
	// Target (pid() == target()) when the plan keeps the -c/-x process alone.
	PID     int
	Process string
	// InTarget keeps stap's target() (and its descendants on the kernel runtime) only.
	// StartsTarget: the run starts it (-c), see plan.Plan.
	InTarget, StartsTarget bool
	// CPU is the stap expression of the CPU number in this handler.
	CPU string
	// Fields are the values this handler prints (values First to Last
	// of the record, counted from 1); Head and Tail say whether it
	// starts and ends the record (both, but under BPF with Split).
	Fields      []plan.Field
	Head, Tail  bool
	First, Last int
	// Bias is the link-time address of the handler's one point, set
	// when it computes a PIE's load bias (__sg_bias).
	Bias string
	// RunTotals: the counts go into plan.RunTotals' plain arrays too.
	RunTotals bool
	// Prints lay out the record's head, Fields and tail (pieces.go).
	Prints []Print
}

// probe renders p's handler, or under BPF the handlers its Split asks
// for: declared last to first, as stapbpf runs them first to last. A
// PIE's interface values need the load bias, which a handler learns from
// its point's address: such a probe gets one handler per point.
func (g *generator) probe(pl *plan.Plan, p plan.Probe) (string, error) {
	if pl.GoTypes == nil || !pl.GoTypes.PIE || !slices.ContainsFunc(p.Fields, biased) {
		return g.handlers(pl, p, "")
	}
	var out []string
	for _, pt := range p.Points {
		one := p
		one.Points = []plan.Point{pt}
		s, err := g.handlers(pl, one, fmt.Sprintf("0x%x", pt.Addr))
		if err != nil {
			return "", err
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n\n"), nil
}

// biased says whether f's value needs the load bias of a PIE.
func biased(f plan.Field) bool {
	switch v := plan.Bare(f.Value).(type) {
	case plan.Dyn:
		return v.Bias
	case plan.DynWords:
		return v.Bias
	}
	return false
}

// handlers renders p's handler (several under BPF with Split); bias is
// the link-time address of its one point when it computes the load bias.
func (g *generator) handlers(pl *plan.Plan, p plan.Probe, bias string) (string, error) {
	starts := append([]int{0}, p.Split...)
	var out []string
	for i := len(starts) - 1; i >= 0; i-- {
		end := len(p.Fields)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		pv := ProbeView{P: p, Max: scriptMax(pl), PID: pl.PID, Process: pl.Process, InTarget: pl.InTarget, StartsTarget: pl.StartsTarget, CPU: "cpu()",
			Fields: p.Fields[starts[i]:end], Head: i == 0, Tail: i == len(starts)-1, First: starts[i] + 1, Last: end, Bias: bias, RunTotals: pl.RunTotals}
		if p.Site == event.SiteRestart || p.NoRecord {
			pv.Max = 0 // not an event
		}
		if g.bpf && bpfHasLocals(p.Cond != nil || p.Goid != nil, pv.Fields) {
			pv.CPU = "__sg_c"
		}
		if !p.NoRecord {
			var err error
			if pv.Prints, err = g.record(pv); err != nil {
				return "", err
			}
		}
		s, err := g.exec("probe", pv)
		if err != nil {
			return "", err
		}
		out = append(out, s)
		if !p.NoRecord {
			if s, err = g.bytesWords(pv); err != nil {
				return "", err
			}
			if s != "" {
				out = append(out, s)
			}
		}
	}
	return strings.Join(out, "\n\n"), nil
}

// wordsView is what "bytes.words" receives: the handler's probe (its
// points), its string and the string's NUL scan.
type wordsView struct {
	ProbeView
	V    plan.Bytes
	Scan string
}

// bytesWords renders, under BPF, the handler that prints the words of
// pv's Go string when it holds a NUL (templates/bpf.stp.tmpl,
// bytes.words): declared after pv's handler, stapbpf runs it just before.
// A handler has one string at most (plan's bpfSplit).
func (g *generator) bytesWords(pv ProbeView) (string, error) {
	if !g.bpf || g.t.Lookup("bytes.words") == nil {
		return "", nil
	}
	for _, f := range pv.Fields {
		b, ok := plan.Bare(f.Value).(plan.Bytes)
		if !ok || b.Word == "" {
			continue
		}
		v := wordsView{ProbeView: pv, V: b}
		var err error
		if v.Scan, err = g.exec("bytes.scan", v); err != nil {
			return "", err
		}
		return g.exec("bytes.words", v)
	}
	return "", nil
}

// scriptMax is the record limit the script keeps itself. The decoder
// drops the entries a Go runtime restart repeated (event/restart.go), so a
// plan with restart probes leaves the limit to the run, which stops stap
// once the decoder delivered --max-events.
func scriptMax(pl *plan.Plan) int {
	if slices.ContainsFunc(pl.Probes, func(p plan.Probe) bool { return p.Site == event.SiteRestart }) {
		return 0
	}
	return pl.MaxEvents
}

// bpfHasLocals tells a BPF handler that keeps locals (a filter's result, a
// Go string's length and pointer): it fits BPF's 512-byte stack with the
// CPU read once into one more local, where the others fit only with a
// cpu() call per print (stapbpf's register allocator decides).
// TestRenderedScriptsPassStap compiles both shapes.
//
// A C string is the exception: its handler, filtered or not, fits only
// with cpu() per print (stap 4.8 refuses the local beside a condition).
func bpfHasLocals(condOrGoid bool, fields []plan.Field) bool {
	local := condOrGoid
	for _, f := range fields {
		switch plan.Bare(f.Value).(type) {
		case plan.Bytes, plan.Slice:
			return true
		case plan.CString:
			return false
		}
	}
	return local
}

func isBPF(p *plan.Plan) bool { return p.Runtime == spec.RuntimeBPF }
