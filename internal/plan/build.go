package plan

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
	"github.com/stapgen/stapgen/internal/symfile"
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
	if b.restarts {
		b.restartProbes()
	}
	p.UserStack, p.KernelStack = req.UserStack, req.KernelStack
	if err := p.aggregates(req); err != nil {
		return nil, err
	}
	p.setStapArgs()
	for _, pr := range p.Probes {
		ps := event.ProbeSchema{Function: pr.Function, Site: pr.Site, Restart: pr.Restart, Stat: statSchema(p, pr)}
		for _, f := range pr.Fields {
			ps.Fields = append(ps.Fields, event.FieldSchema{Name: f.Name, Enc: f.Enc, ElemEnc: f.ElemEnc, Type: f.Type, Part: f.Part, Enums: f.Enums, Max: strMax(f.Value)})
			if _, ok := f.Value.(CString); ok && p.Runtime != spec.RuntimeBPF && pr.Stat == nil {
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

// point is a function probe point on f, named so that stap matches f and
// no other function.
func (b *builder) point(f *debuginfo.Function, ret bool) (Point, error) {
	name, err := b.stapName(f)
	if err != nil {
		return Point{}, err
	}
	return Point{Kind: PointFunction, Path: b.userPath(), Module: b.module(f), Name: name, Addr: f.Entry, Return: ret}, nil
}

// module is the kernel module f is in: the target's, or for the target
// "kernel" the one its index found f in.
func (b *builder) module(f *debuginfo.Function) string {
	if f != nil && f.Module != "" {
		return f.Module
	}
	return b.in.Target.Module
}

// stapName is how function("...") must spell f.Name. stap matches it with
// fnmatch(3) after a lexer that keeps some escapes and drops others, so
// no escaping makes '*' literal (main.(\\*T).M finds nothing); the name
// with such characters as '?' works when that pattern names f alone.
func (b *builder) stapName(f *debuginfo.Function) (string, error) {
	if f.LinkageName != "" && !f.Inlined {
		// A C++ function's mangled name is its symbol, which stap matches
		// exactly: the one spelling that tells overloads apart (stap
		// rejects one probe on both area(long, long) and area(double)).
		return f.LinkageName, nil
	}
	for i := 0; i < len(f.Name); i++ {
		if c := f.Name[i]; c < 0x20 || c >= 0x7f {
			return "", refuse("function name %q has a byte (%q) that a stap probe point cannot carry", f.Name, c)
		}
	}
	w := symfile.Wildcard(f.Name)
	if w == f.Name {
		return w, nil
	}
	fns, err := b.in.Funcs.Match(w)
	if err != nil {
		return "", err
	}
	var others []string
	for _, g := range fns {
		if g.Name != f.Name && !slices.Contains(others, g.Name) {
			others = append(others, g.Name)
		}
	}
	if len(others) > 0 {
		return "", refuse("stap's probe points cannot spell %s exactly, and %s also matches %s; probe it by address (a Go function with stap 5 and the kernel runtime is probed past its prologue)", f.Name, w, strings.Join(others[:min(3, len(others))], ", "))
	}
	return w, nil
}

// userPath is the binary a user-space point names, "" for the kernel.
func (b *builder) userPath() string {
	if b.in.Target.Kernel {
		return ""
	}
	return b.in.Target.Path
}

// addressProbes tells whether stap can place probes at addresses in the
// user-space target: stap 5 reads Go's DWARF for them, and a generated
// debug file's symbols name any address for every stap.
func (b *builder) addressProbes() bool {
	return !b.in.Target.Kernel && (b.in.Stap.AtLeast(5, 0) || b.in.Target.Symbols)
}

func (b *builder) address(a uint64) Point {
	return Point{Kind: PointAddress, Path: b.in.Target.Path, Addr: a}
}

func (b *builder) add(pr Probe) {
	pr.Index = len(b.plan.Probes)
	pr.From = b.from
	if b.em.bpf {
		pr.Split = bpfSplit(pr.Fields)
		if pr.Site == event.SiteReturn && pr.Lang != debuginfo.LangGo {
			pr.Split = bpfReturnSplit(pr.Fields)
		}
		if pr.Cond != nil && pr.Lang != debuginfo.LangGo {
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

// selectFields prints the named paths, or every value in order.
func (b *builder) selectFields(vals map[string]ref, order []string, paths []spec.Path) ([]Field, error) {
	var out []Field
	if len(paths) == 0 {
		for _, name := range order {
			out = append(out, from(b.em.fields(vals[name], name, b.plan.Limits.Depth), DefaultField+name)...)
		}
	} else {
		for _, p := range paths {
			r, err := b.resolvePath(vals, order, p)
			if err != nil {
				return nil, err
			}
			fs := b.em.fields(r, p.String(), b.plan.Limits.Depth)
			if p.Whole != 0 {
				// A whole value prints what it can: a member that cannot
				// be read here is "!", with a note.
				if fs, err = b.em.whole(r, p, wholeDepth(p, b.plan.Limits)); err != nil {
					return nil, err
				}
			} else {
				for _, f := range fs {
					// A value asked for by name is read, or refused with the
					// reason; only what this runtime lacks is marked "!".
					if m, ok := f.Value.(Missing); ok && !m.Runtime {
						return nil, refuse("%s cannot be read here: %s", f.Name, m.Why)
					}
				}
			}
			out = append(out, from(fs, "--fields "+p.String())...)
		}
	}
	if len(out) > maxFieldsPerProbe {
		b.plan.Notes = append(b.plan.Notes, fmt.Sprintf("only the first %d values are printed", maxFieldsPerProbe))
		out = out[:maxFieldsPerProbe]
	}
	return out, nil
}

// DefaultField starts the origin of a value printed because no --fields
// named any.
const DefaultField = "the default field "

// from records the request text behind a value's fields.
func from(fs []Field, what string) []Field {
	for i := range fs {
		fs[i].From = what
	}
	return fs
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' || i == 0 && c == '~' {
			continue
		}
		return false
	}
	return true
}

// matchFirst resolves "a|b|c": the first alternative that names existing
// functions wins, so one recipe serves kernels before and after a rename
// (__lookup_hash became lookup_one_qstr_excl in Linux 6.x).
// overloads renames the C++ functions of fns that share a name with
// another function of different linkage, "shop::geo::area(double r)", so
// each probe's events say which overload fired. fns is sorted by name.
func overloads(fns []*debuginfo.Function) []*debuginfo.Function {
	out := slices.Clone(fns)
	for i := 0; i < len(out); {
		j := i + 1
		for j < len(out) && out[j].Name == out[i].Name {
			j++
		}
		distinct := map[string]bool{}
		for _, f := range out[i:j] {
			distinct[f.LinkageName] = true
		}
		if len(distinct) > 1 {
			for k := i; k < j; k++ {
				if out[k].LinkageName != "" {
					c := *out[k]
					c.Name += c.Signature()
					out[k] = &c
				}
			}
		}
		i = j
	}
	return out
}

func matchFirst(r Resolver, pattern string) ([]*debuginfo.Function, error) {
	alts := strings.Split(pattern, "|")
	var firstErr error
	for _, a := range alts {
		if a == "" {
			continue
		}
		fns, err := r.Match(a)
		if err == nil && len(fns) > 0 {
			return fns, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = refuse("no function matches %s", pattern)
	}
	return nil, firstErr
}

// stacks are the backtrace fields of an entry record. stap's backtrace
// strings are space-separated addresses; the token joins them with commas.
func (b *builder) stacks() []Field {
	var out []Field
	if b.in.Request.KernelStack {
		out = append(out, Field{Name: event.KernelStack, Type: "backtrace", Enc: event.EncStack, Value: Stack{}, From: "--backtrace kernel"})
	}
	if b.in.Request.UserStack {
		out = append(out, Field{Name: event.UserStack, Type: "backtrace", Enc: event.EncStack, Value: Stack{User: true}, From: "--backtrace user"})
	}
	return out
}

// line plans a probe on a source line. stap resolves the line and the
// variables in scope there; without their types here, named variables print
// as integers and the default is every variable in scope ($$vars) as one
// hex-encoded string, so its bytes round-trip.
func (b *builder) line(file string, line int, req spec.Probe) error {
	if b.em.bpf {
		return refuse("line probes print $$vars, which needs the kernel runtime")
	}
	if b.in.Target.Symbols {
		return refuse("line probes need the binary's DWARF line table, which it does not have; probe a function instead")
	}
	if b.in.Target.GoVersion != "" && !b.in.Stap.AtLeast(5, 0) {
		return refuse("line probes in Go binaries need stap 5.0 or newer (stap %s cannot place them)", b.in.Stap)
	}
	if fs := b.filters(fmt.Sprintf("%s:%d", file, line), req.Function); len(fs) > 0 {
		// Nothing here types the variables, so a filter could not be
		// checked; it is refused rather than dropped.
		return refuse("filter %s: a FILE:LINE probe knows no variable types to test; probe FUNCTION@FILE:LINE (stapgen lines lists them), or give the filter to other functions as 'FUNCTION { CONDITION }'", fs[0])
	}
	point := Point{Kind: PointStatement, Path: b.userPath(), Module: b.in.Target.Module, Name: fmt.Sprintf("*@%s:%d", file, line)}
	var fields []Field
	for _, p := range req.Fields {
		if len(p.Steps) > 0 || strings.HasPrefix(p.Root, "~") {
			return refuse("at a line, name plain variables (%s has members or is a result)", p)
		}
		fields = append(fields, Field{Name: p.Root, Type: "long", Enc: event.EncInt,
			Value: Int{X: Var{Name: p.Root}, Signed: true}, From: "--fields " + p.Root})
	}
	if len(fields) == 0 {
		fields = []Field{{Name: "vars", Type: "string", Enc: event.EncStr, Value: Vars{}}}
	}
	b.add(Probe{Function: fmt.Sprintf("%s:%d", file, line), Site: event.SiteLine, Points: []Point{point}, Fields: fields})
	return nil
}

// belowFrame re-bases stack-passed parameters for a probe placed after the
// frame set-up, where RSP is sp bytes lower than at the entry.
func belowFrame(params map[string]ref, sp int64) map[string]ref {
	out := make(map[string]ref, len(params))
	for k, r := range params {
		if r.home != nil && r.home.Stack {
			h := *r.home
			h.Off += sp
			r.home = &h
		}
		out[k] = r
	}
	return out
}

func hasParam(f *debuginfo.Function, name string) bool {
	return slices.ContainsFunc(f.Params, func(v debuginfo.Variable) bool { return v.Name == name })
}

func hasStackCheck(g GoFacts, f *debuginfo.Function) bool {
	_, ok := g.StackCheck(f)
	return ok
}
