package script

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"text/template"

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

func newGenerator(set *template.Template, bpf bool) (*generator, error) {
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
		"helper": func(name string) (string, error) { return g.exec("helper."+name, nil) },
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
type valueView struct {
	V   plan.Value
	CPU string
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
	// PID and Process (an execname) filter every probe of the plan.
	PID     int
	Process string
	// InTarget keeps stap's target() (and its children on the kernel runtime) only.
	InTarget bool
	// CPU is the stap expression of the CPU number in this handler.
	CPU string
}

func (g *generator) probe(pl *plan.Plan, p plan.Probe) (string, error) {
	max := pl.MaxEvents
	if p.NoRecord {
		max = 0
	}
	pv := ProbeView{P: p, Max: max, PID: pl.PID, Process: pl.Process, InTarget: pl.InTarget, CPU: "cpu()"}
	if g.bpf && bpfHasLocals(p) {
		pv.CPU = "__sg_c"
	}
	return g.exec("probe", pv)
}

// bpfHasLocals tells a BPF handler that keeps locals (a filter's result, a
// Go string's length and pointer): it fits BPF's 512-byte stack with the
// CPU read once into one more local, where the others fit only with a
// cpu() call per print (stapbpf's register allocator decides).
// TestRenderedScriptsPassStap compiles both shapes.
func bpfHasLocals(p plan.Probe) bool {
	if p.Cond != nil || p.Goid != nil {
		return true
	}
	return slices.ContainsFunc(p.Fields, func(f plan.Field) bool {
		_, ok := f.Value.(plan.Bytes)
		return ok
	})
}

func isBPF(p *plan.Plan) bool { return p.Runtime == spec.RuntimeBPF }
