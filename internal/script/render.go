package script

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"text/template"

	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/templates"
)

// Templates is a parsed template set for each runtime.
type Templates struct{ kernel, bpf *template.Template }

// Load parses the templates in fsys (templates.FS for the built-in ones).
func Load(fsys fs.FS) (*Templates, error) {
	kernel, err := loadSet(fsys, string(spec.RuntimeKernel))
	if err != nil {
		return nil, err
	}
	bpf, err := loadSet(fsys, string(spec.RuntimeBPF))
	if err != nil {
		return nil, err
	}
	return &Templates{kernel: kernel, bpf: bpf}, nil
}

func loadSet(fsys fs.FS, runtime string) (*template.Template, error) {
	t := template.New(runtime).Funcs(staticFuncs).Funcs(generatorFuncs).Option("missingkey=error")
	for _, name := range templates.Files(runtime) {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		if _, err := t.New(name).Parse(string(b)); err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
	}
	for _, def := range []string{"script", "probe"} {
		if t.Lookup(def) == nil {
			return nil, fmt.Errorf("templates define no %q", def)
		}
	}
	return t, nil
}

// generatorFuncs are stand-ins with the signatures of the generator's
// functions, so templates parse; each Render binds its own.
var generatorFuncs = template.FuncMap{
	"expr":   func(plan.Expr) (string, error) { return "", nil },
	"value":  func(plan.Value, string) (string, error) { return "", nil },
	"cond":   func(plan.Cond) (string, error) { return "", nil },
	"point":  func(plan.Point) (string, error) { return "", nil },
	"need":   func(string) (string, error) { return "", nil },
	"key":    func(plan.Key) (string, error) { return "", nil },
	"keyout": func(plan.Key, string) (string, error) { return "", nil },
	"helper": func(string) (string, error) { return "", nil },
}

// Builtin returns the embedded templates.
func Builtin() *Templates {
	t, err := Load(templates.FS)
	if err != nil {
		panic("built-in templates: " + err.Error()) // a build defect, caught by tests
	}
	return t
}

// View is what the "script" template receives.
type View struct {
	Plan *plan.Plan
	BPF  bool
	// Probes are the rendered handlers, Helpers the kernel-runtime helpers
	// they call.
	Probes  []string
	Helpers []string
}

// Render writes the script for p.
func (t *Templates) Render(w io.Writer, p *plan.Plan) error {
	set := t.kernel
	if isBPF(p) {
		set = t.bpf
	}
	g, err := newGenerator(set, isBPF(p), p)
	if err != nil {
		return fmt.Errorf("render script: %w", err)
	}
	v := &View{Plan: p, BPF: isBPF(p)}
	for _, pr := range p.Probes {
		s, err := g.probe(p, pr)
		if err != nil {
			return fmt.Errorf("render script: probe %d (%s): %w", pr.Index, pr.Function, err)
		}
		v.Probes = append(v.Probes, s)
	}
	v.Helpers = g.neededHelpers()
	var buf bytes.Buffer
	if err := g.t.ExecuteTemplate(&buf, "script", v); err != nil {
		return fmt.Errorf("render script: %w", err)
	}
	out := buf.Bytes()
	if bytes.Contains(out, []byte("<no value>")) {
		return errors.New("render script: a template printed <no value>")
	}
	_, err = w.Write(out)
	return err
}

var staticFuncs = template.FuncMap{
	// indent keeps multi-line statements inside the handler's block.
	"indent": func(s string) string { return strings.ReplaceAll(s, "\n", "\n\t") },
	// comment keeps a note on one comment line whatever it contains.
	"comment": func(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) },
	"quote":   func(s string) string { return fmt.Sprintf("%q", s) },
	"lit":     stapString,
	"add":     func(a, b int) int { return a + b },
	"reads":   reads,
	"entry":   entry,
	"min":     func(a, b int) int { return min(a, b) },
	"add64":   func(a, b int64) int64 { return a + b },
	"mul":     func(a, b int64) int64 { return a * b },
	// highbits is how many bits above a value of size bytes a 64-bit word has.
	"highbits": func(size int64) int64 { return 64 - 8*size },
	"words":    words,
	// elems are a BPF slice's unrolled element offsets: the first max, at
	// most eight, like a string's words.
	"elems": func(max int, size int64) []int64 {
		var out []int64
		for i := 0; i < max && i < 8; i++ {
			out = append(out, int64(i)*size)
		}
		return out
	},
	"wordgroups": func(max int) [][]int {
		return slices.Collect(slices.Chunk(words(max), 4))
	},
	"fail": func(msg string) (string, error) { return "", errors.New(msg) },
	"from": fromLine,
}

// words are the byte offsets of the 64-bit words the BPF runtime reads of a
// string of at most max bytes: it has no loops, so reads are unrolled, and
// at most eight of them keep the handler within its instruction budget.
func words(max int) []int {
	var out []int
	for i := 0; i*8 < max && i < 8; i++ {
		out = append(out, i*8)
	}
	return out
}
