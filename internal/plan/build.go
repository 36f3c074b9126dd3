package plan

import (
	"errors"
	"fmt"
	"sort"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
)

// Inputs is everything Build needs. Nothing here touches the live system.
type Inputs struct {
	Request *spec.Request
	Target  Target
	Funcs   Resolver
	// Go is required when a Go function is probed with the kernel runtime.
	Go GoFacts
	// Stap is the version the script is for; zero means "newest".
	Stap stap.Version
	// Types finds the types casts name; nil refuses casts.
	Types TypeFinder
}

// ErrRefused is wrapped by errors for requests that cannot work with the
// chosen runtime or stap version; the message says why and what to change.
var ErrRefused = errors.New("cannot generate")

// NoTypesError refuses fields or filters on a function whose types are
// unknown (a binary without DWARF, its source not found).
type NoTypesError struct{ Function string }

func (e *NoTypesError) Error() string {
	return "no parameter types are known (the binary has no DWARF), so fields and filters cannot be read"
}

func (e *NoTypesError) Is(target error) bool { return target == ErrRefused }

func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrRefused}, args...)...)
}

// Build resolves a request into a plan.
func Build(in Inputs) (*Plan, error) {
	req := in.Request
	if err := req.Normalize(); err != nil {
		return nil, err
	}
	if !in.Target.Kernel {
		if err := checkPath(in.Target.Path); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRefused, err)
		}
	}
	p := &Plan{
		Target:       in.Target,
		Runtime:      req.Runtime,
		Stap:         in.Stap,
		Limits:       req.Limits,
		Process:      req.Process,
		PID:          req.PID,
		InTarget:     req.InTarget,
		StartsTarget: req.InTarget && req.StartsTarget,
		MaxEvents:    req.MaxEvents,
		Aggregate:    req.Aggregate,
		Schema:       event.Schema{Version: 1},
	}
	if !in.Target.Kernel {
		p.Schema.Binary, p.Schema.BuildID = in.Target.Path, in.Target.BuildID
	}
	p.DurationMS = req.Duration.Milliseconds()
	bpf := req.Runtime == spec.RuntimeBPF
	if err := p.scope(req, in.Target, bpf); err != nil {
		return nil, err
	}
	if bpf {
		if p.Limits.StringLen > 64 {
			p.Limits.StringLen = 64
			p.Notes = append(p.Notes, "BPF runtime: strings are read up to 64 bytes")
		}
		if req.KernelStack || req.UserStack {
			return nil, refuse("backtraces need the kernel runtime (the BPF runtime has none); drop --backtrace or use --runtime=kernel")
		}
	}
	b := &builder{in: in, plan: p, em: emitter{bpf: bpf, kernel: in.Target.Kernel, limits: p.Limits, notes: &p.Notes, goVersion: in.Target.GoVersion}}
	if in.Go != nil {
		b.em.types = typeFacts(in.Go, p)
	}
	if bpf && in.Types != nil {
		b.em.word = bpfWord(in.Types)
	} else if bpf && in.Target.Symbols {
		b.em.word = func() (string, string) { return symbolsWord, in.Target.Path }
	}
	seen := map[string]bool{}
	for _, pr := range req.Probes {
		b.from = pr.Function
		if fn, file, line, ok := spec.FuncLine(pr.Function); ok {
			if err := b.funcLine(fn, file, line, pr); err != nil {
				return nil, err
			}
			continue
		}
		if file, line, ok := spec.IsLine(pr.Function); ok {
			if done, err := b.fileLine(file, line, pr); done || err != nil {
				if err != nil {
					return nil, err
				}
				continue
			}
			if err := b.line(file, line, pr); err != nil {
				return nil, fmt.Errorf("%s: %w", pr.Function, err)
			}
			continue
		}
		fns, err := matchFirst(in.Funcs, pr.Function)
		if err != nil {
			return nil, err
		}
		sort.SliceStable(fns, func(i, j int) bool { return fns[i].Name < fns[j].Name })
		fns = overloads(fns)
		for _, f := range fns {
			// One probe per name matches every static function of that
			// name at once; a C++ overload has its own (its linkage name).
			key := f.Name
			if f.LinkageName != "" {
				key = f.LinkageName
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			if err := b.function(f, pr); err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
		}
	}
	if len(p.Probes) == 0 {
		return nil, refuse("no probe left to generate (see notes: %v)", p.Notes)
	}
	if err := b.unusedFilters(); err != nil {
		return nil, err
	}
	if b.restarts && req.Records() {
		// Only records repeat: without them the statistics' guard
		// (StatGuard) is all a restart needs.
		b.restartProbes()
	}
	p.UserStack, p.KernelStack = req.UserStack, req.KernelStack
	if err := p.aggregates(req); err != nil {
		return nil, err
	}
	for i := range p.Probes {
		if pr := &p.Probes[i]; !pr.Count && pr.Stat == nil && !pr.LatStart {
			pr.StatGuard = nil
		}
	}
	p.setStapArgs()
	for _, pr := range p.Probes {
		ps := event.ProbeSchema{Function: pr.Function, Site: pr.Site, Restart: pr.Restart, Stat: statSchema(p, pr)}
		for _, f := range pr.Fields {
			ps.Fields = append(ps.Fields, event.FieldSchema{Name: f.Name, Enc: f.Enc, ElemEnc: f.ElemEnc, Type: f.Type, Part: f.Part, Enums: f.Enums, Max: strMax(f.Value)})
			if rawOnKernel(f.Value) && p.Runtime != spec.RuntimeBPF && pr.Stat == nil {
				// The kernel runtime's records print them raw.
				p.Schema.RawStrings = true
			}
		}
		p.Schema.Probes = append(p.Schema.Probes, ps)
	}
	p.Schema.Chunked = p.Runtime == spec.RuntimeBPF
	return p, nil
}

type builder struct {
	in   Inputs
	plan *Plan
	em   emitter
	// from is the function or line the request named, for Probe.From.
	from string
	// restarts: a BPF Go entry needs the runtime's restart records.
	restarts bool
	// usedFilter marks the request's filters that applied to a function.
	usedFilter map[int]bool
}

func (b *builder) add(pr Probe) {
	pr.Index = len(b.plan.Probes)
	pr.From = b.from
	if b.em.bpf {
		pr.Split = bpfSplit(pr.Fields)
		if pr.Site == event.SiteReturn {
			pr.Split = bpfReturnSplit(pr.Fields)
		}
		// A Go RET's mark check or result filter beside a string's reads
		// overflowed stapbpf's stack as a C filter did (seen).
		if pr.Cond != nil && (pr.Lang != debuginfo.LangGo || pr.Site == event.SiteReturn) || pr.Check {
			pr.Split = bpfFilteredSplit(pr.Fields)
		}
	}
	b.plan.Probes = append(b.plan.Probes, pr)
}

func (b *builder) function(f *debuginfo.Function, req spec.Probe) error {
	if f.Lang == debuginfo.LangGo {
		return b.goFunction(f, req)
	}
	return b.cFunction(f, req)
}

// rawOnKernel tells whether a field's value may print raw in a kernel
// runtime's record (templates/kernel.stp.tmpl, part.CString and
// part.Bytes), which the decoder converts first (Schema.RawStrings).
func rawOnKernel(v Value) bool {
	switch v.(type) {
	case CString, Bytes:
		return true
	}
	return false
}
