package script

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"text/template"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/templates"
)

// schemaTag starts the header line that carries the record schema, so a
// script (and stapgen decode) can be decoded without regenerating it.
const (
	schemaTag  = "# stapgen-schema: "
	argsTag    = "# stapgen-stap-args: "
	runtimeTag = "# stapgen-runtime: "
)

var funcs = template.FuncMap{
	"join": strings.Join,
	// indent keeps multi-line statements inside the handler's block.
	"indent": func(s string) string { return strings.ReplaceAll(s, "\n", "\n\t") },
	// comment keeps a note on one comment line whatever it contains.
	"comment": func(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) },
}

// Templates is a parsed template set.
type Templates struct{ t *template.Template }

// Load parses the templates in fsys (templates.FS for the built-in ones).
func Load(fsys fs.FS) (*Templates, error) {
	t := template.New("stapgen").Funcs(funcs).Option("missingkey=error")
	for _, name := range templates.Names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		if _, err := t.New(name).Parse(string(b)); err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
	}
	for _, def := range []string{"script", "helpers", "probe"} {
		if t.Lookup(def) == nil {
			return nil, fmt.Errorf("templates define no %q", def)
		}
	}
	return &Templates{t}, nil
}

var builtin *Templates

// Builtin returns the embedded templates.
func Builtin() *Templates {
	if builtin == nil {
		t, err := Load(templates.FS)
		if err != nil {
			panic("built-in templates: " + err.Error()) // a build defect, caught by tests
		}
		builtin = t
	}
	return builtin
}

// View is what the templates receive.
type View struct {
	Plan *plan.Plan
	BPF  bool
	t    *template.Template
}

// BPFProbe renders one probe for stapbpf, every print tagged with its CPU.
func (v *View) BPFProbe(p plan.Probe) (string, error) {
	var b strings.Builder
	if err := v.t.ExecuteTemplate(&b, "probe", v.Probe(p)); err != nil {
		return "", err
	}
	return tagPrints(b.String()), nil
}

// TargetLine names the target for the header.
func (v *View) TargetLine() string {
	t := v.Plan.Target
	s := t.Path
	if t.Kernel {
		s = "kernel"
		if t.Release != "" {
			s += " " + t.Release
		}
	}
	if t.BuildID != "" {
		s += " (build-id " + t.BuildID + ")"
	}
	if t.GoVersion != "" {
		s += " " + t.GoVersion
	}
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

// RunLine is the stap command line the script needs.
func (v *View) RunLine() string {
	args := append([]string{}, v.Plan.StapArgs...)
	if v.BPF {
		args = append(args, "--runtime=bpf")
	}
	args = append(args, "-o", "OUTPUT", "THIS.stp")
	if !v.Plan.Target.Kernel {
		args = append(args, "[-c 'CMD' | -x PID]")
	}
	return strings.Join(args, " ")
}

// SchemaLine is the schema as one base64 line.
func (v *View) SchemaLine() string { return encodeSchema(&v.Plan.Schema) }

func encodeSchema(s *event.Schema) string {
	b, _ := json.Marshal(s)
	return base64.StdEncoding.EncodeToString(b)
}

// SchemaComment is the header line that carries s; stapgen run --save
// writes it first so a saved output decodes without its script.
func SchemaComment(s *event.Schema) string { return schemaTag + encodeSchema(s) }

// ArgsLine is the stap options the plan needs, as a JSON list.
func (v *View) ArgsLine() string {
	b, _ := json.Marshal(append([]string{}, v.Plan.StapArgs...))
	return string(b)
}

// ReadStapArgs returns the stap options recorded in a rendered script.
func ReadStapArgs(script []byte) []string {
	var args []string
	if v := headerValue(script, argsTag); v != "" {
		if json.Unmarshal([]byte(v), &args) != nil {
			return nil
		}
	}
	return args
}

// ReadRuntime returns the runtime a rendered script was generated for.
func ReadRuntime(script []byte) spec.Runtime {
	switch r := spec.Runtime(headerValue(script, runtimeTag)); r {
	case spec.RuntimeKernel, spec.RuntimeBPF:
		return r
	}
	return ""
}

func headerValue(script []byte, tag string) string {
	for _, line := range strings.Split(string(script), "\n") {
		if strings.HasPrefix(line, tag) {
			return strings.TrimSpace(line[len(tag):])
		}
	}
	return ""
}

// NeedsPass is true when Go entry/return filter pairing is used.
func (v *View) NeedsPass() bool {
	for _, p := range v.Plan.Probes {
		if p.Mark || p.Check {
			return true
		}
	}
	return false
}

// NeedsDedup is true when Go entries drop repeated uprobe firings.
func (v *View) NeedsDedup() bool {
	for _, p := range v.Plan.Probes {
		if p.Dedup {
			return true
		}
	}
	return false
}

// ProbeView is what the "probe" template receives.
type ProbeView struct {
	P          plan.Probe
	BPF        bool
	ProcFilter string
	Max        int
	// D is the integer verb for this runtime (%d is 32 bits under BPF).
	D string
}

// Probe wraps one plan probe for its template.
func (v *View) Probe(p plan.Probe) ProbeView {
	pv := ProbeView{P: p, BPF: v.BPF, Max: v.Plan.MaxEvents, D: "%d"}
	if v.BPF {
		pv.D = "%ld"
	}
	var conds []string
	if v.Plan.PID > 0 {
		conds = append(conds, fmt.Sprintf("pid() == %d", v.Plan.PID))
	}
	if v.Plan.Process != "" {
		// spec.Request.Normalize allows only printable bytes without quotes
		// or backslashes in a process name.
		conds = append(conds, fmt.Sprintf("execname() == %q", v.Plan.Process))
	}
	pv.ProcFilter = strings.Join(conds, " && ")
	return pv
}

// Render writes the script for p.
func (t *Templates) Render(w io.Writer, p *plan.Plan) error {
	var buf bytes.Buffer
	v := &View{Plan: p, BPF: p.Runtime == spec.RuntimeBPF, t: t.t}
	if err := t.t.ExecuteTemplate(&buf, "script", v); err != nil {
		return fmt.Errorf("render script: %w", err)
	}
	out := buf.Bytes()
	if bytes.Contains(out, []byte("<no value>")) {
		return errors.New("render script: a template printed <no value>")
	}
	_, err := w.Write(out)
	return err
}

// ErrNoSchema means a script was not generated by stapgen.
var ErrNoSchema = errors.New("no stapgen schema in script (was it generated by stapgen gen?)")

// ReadSchema extracts the record schema from a rendered script.
func ReadSchema(script []byte) (*event.Schema, error) {
	for _, line := range strings.Split(string(script), "\n") {
		if !strings.HasPrefix(line, schemaTag) {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(line[len(schemaTag):]))
		if err != nil {
			return nil, fmt.Errorf("script schema: %w", err)
		}
		var s event.Schema
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("script schema: %w", err)
		}
		if s.Version != 1 {
			return nil, fmt.Errorf("script schema version %d: this stapgen reads version 1", s.Version)
		}
		return &s, nil
	}
	return nil, ErrNoSchema
}
