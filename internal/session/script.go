package session

import (
	"bytes"
	"context"
	"os"
	"path/filepath"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/gofncache"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/script"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
	"github.com/stapgen/stapgen/internal/target"
)

// Script is a stap script with what running and decoding it needs.
type Script struct {
	Source []byte
	Schema *event.Schema
	// StapArgs are the options the script's header asks stap for.
	StapArgs []string
	// StapEnv is the environment the header asks stap to run with.
	StapEnv []string
	Runtime spec.Runtime
	// MaxEvents is the script's record limit, 0 for none.
	MaxEvents int
	// Plan is set when the script was generated here, nil when read.
	Plan *plan.Plan
}

// GenerateOptions say what to generate for which target.
type GenerateOptions struct {
	Target  string
	Open    OpenOptions
	Request *spec.Request
	// StapVersion is the stap the script is for; nil asks Stap for its
	// version, and a stap that does not answer means the newest.
	StapVersion *stap.Version
	// Stap is the stap binary asked ("stap" from PATH when empty).
	Stap string
	// Templates is a directory of templates to render with instead of the
	// built-in ones.
	Templates string
}

// Generate opens the target, plans the request and renders the script.
// A Go target is planned from the function cache when it answers every
// question the plan asks, with neither DWARF nor function table read.
func Generate(ctx context.Context, o GenerateOptions) (*Script, error) {
	var ver stap.Version
	if o.StapVersion != nil {
		ver = *o.StapVersion
	} else if v, err := (&stap.Runner{Path: o.Stap}).CachedVersion(ctx, versionCache(o.Open)); err == nil {
		ver = v
	}
	tmpl := script.Builtin()
	if o.Templates != "" {
		var err error
		if tmpl, err = script.Load(os.DirFS(o.Templates)); err != nil {
			return nil, &Error{Stage: StageTemplates, Err: err}
		}
	}
	bin, release, err := OpenBinary(o.Target, o.Open)
	if err != nil {
		return nil, err
	}
	var c gofncache.Cache
	if usesFuncCache(o.Target, bin, o.Open) {
		// A plan loads an entry per pattern, each naming the same source
		// directories.
		c = cacheOf(bin, o.Open).StampOnce()
		if s, ok, err := generateCached(c, bin, release, o, ver, tmpl); ok {
			bin.Close()
			return s, err
		}
	}
	t, err := attach(o.Target, bin, release, o.Open)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	rec := record(t)
	p, err := plan.Build(plan.Inputs{Request: o.Request, Target: t.planTarget(), Funcs: rec.resolver(), Go: rec.goFacts(), Stap: ver, Types: rec.types(t.castTypes())})
	// What the binary answered holds whatever the plan made of it: a
	// refusal is given from the cache next time too.
	rec.store(c)
	if err != nil {
		return nil, whyUntyped(t.about(), err)
	}
	return render(t, p, t.about(), tmpl, c, nil)
}

// generateCached plans and renders from the function cache alone; ok is
// false when it did not hold every answer the plan needed.
func generateCached(c gofncache.Cache, bin *target.Binary, release string, o GenerateOptions, ver stap.Version, tmpl *script.Templates) (s *Script, ok bool, err error) {
	cp := newCachedPlan(c)
	// The target's kind decides what the plan is given, as attach would.
	t := &Target{Bin: bin, Release: release, opts: o.Open}
	var funcs plan.Resolver = cp
	var types plan.TypeFinder
	var about func(string) (string, string)
	if bin.HasDWARF() {
		funcs, types = cachedLines{cp}, cachedLines{cp}
	} else {
		about = cp.about
	}
	p, err := plan.Build(plan.Inputs{Request: o.Request, Target: t.planTarget(), Funcs: funcs, Go: cp, Stap: ver, Types: types})
	if cp.missed {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, whyUntyped(about, err)
	}
	s, err = render(t, p, about, tmpl, c, cp.bin.Names)
	return s, true, err
}

// usesFuncCache: plans of a Go binary's functions are kept by build-id.
func usesFuncCache(name string, bin *target.Binary, o OpenOptions) bool {
	return bin.Kind == target.KindGo && name != target.KernelTarget && !o.NoCache
}

// render finishes a plan (type notes, symbol names: names are those c
// kept) and renders it.
func render(t *Target, p *plan.Plan, about func(string) (string, string), tmpl *script.Templates, c gofncache.Cache, names map[uint64]string) (*Script, error) {
	noteTypes(about, p)
	if p.Target.Symbols {
		if err := nameBySymbols(t, p, c, names); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := tmpl.Render(&buf, p); err != nil {
		return nil, err
	}
	return &Script{Source: buf.Bytes(), Schema: &p.Schema, StapArgs: p.StapArgs, StapEnv: p.StapEnv, Runtime: p.Runtime, MaxEvents: p.MaxEvents, Plan: p}, nil
}

// versionCache is where stap's version is remembered, "" for nowhere.
func versionCache(o OpenOptions) string {
	if o.NoCache {
		return ""
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, "stapgen")
}

// ScriptDir is where runs keep their scripts (RunOptions.ScriptDir), ""
// for nowhere: with --no-cache a run writes no file that outlives it.
func ScriptDir(o OpenOptions) string {
	if d := versionCache(o); d != "" {
		return filepath.Join(d, "scripts")
	}
	return ""
}

// ParseScript reads a script written by Generate (its header carries the
// schema, stap options and runtime). runtime overrides the header's when
// set; a script without either runs on the kernel runtime.
func ParseScript(src []byte, runtime spec.Runtime) (*Script, error) {
	schema, err := script.ReadSchema(src)
	if err != nil {
		return nil, err
	}
	s := &Script{Source: src, Schema: schema, StapArgs: script.ReadStapArgs(src), StapEnv: script.ReadStapEnv(src), Runtime: runtime, MaxEvents: script.ReadMaxEvents(src)}
	if s.Runtime == "" {
		s.Runtime = script.ReadRuntime(src)
	}
	if s.Runtime == "" {
		s.Runtime = spec.RuntimeKernel
	}
	return s, nil
}
