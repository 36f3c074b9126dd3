package plan

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/goruntime"
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
		Target:    in.Target,
		Runtime:   req.Runtime,
		Stap:      in.Stap,
		Limits:    req.Limits,
		Process:   req.Process,
		PID:       req.PID,
		InTarget:  req.InTarget,
		MaxEvents: req.MaxEvents,
		Aggregate: req.Aggregate,
		Schema:    event.Schema{Version: 1},
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

// cFunction plans a C or kernel function: stap's own $var machinery reads
// the values, and .return is safe.
func (b *builder) cFunction(f *debuginfo.Function, req spec.Probe) error {
	params := map[string]ref{}
	var order []string
	for _, v := range f.Params {
		if v.Name == "" || !isIdent(v.Name) {
			continue
		}
		r := varRef(v.Name, v.Type)
		r.reg = strings.HasPrefix(v.Location, "reg")
		if n, ok := v.Register(); ok {
			r.regNum = n + 1
		}
		params[v.Name] = r
		order = append(order, v.Name)
	}
	// A path rooted at "return" is read at the return; any other names a
	// parameter, read at the entry and, at a return, as its entry value.
	var entryPaths []spec.Path
	returns := false
	for _, p := range req.Fields {
		if p.Root != ReturnRoot {
			entryPaths = append(entryPaths, p)
			continue
		}
		returns = true
		switch {
		case !req.Return:
			return refuse("%s is read at the return: add --return", p)
		case f.Return != nil && f.Return.Kind == debuginfo.KindVoid:
			return refuse("%s: %s returns void, so there is no return value to read", p, f.Name)
		case f.Return == nil && len(p.Steps) > 0:
			return refuse("%s: the return type of %s is unknown, so its members cannot be read", p, f.Name)
		}
	}
	// A filter naming the return value is tested at the return; the
	// entry record of such a call is kept by the other filters alone (its
	// result is not known yet).
	entryFilters, retFilters := splitFilters(b.filters(f.Name, req.Function), func(root string) bool { return root == ReturnRoot })
	if len(retFilters) > 0 {
		switch {
		case !req.Return:
			return refuse("filter %s names the return value, which is known at the return: add --return", retFilters[0])
		case f.Return != nil && f.Return.Kind == debuginfo.KindVoid:
			return refuse("filter %s: %s returns void, so there is no return value to test", retFilters[0], f.Name)
		case f.Return == nil:
			return refuse("filter %s: the return type of %s is unknown, so its value cannot be tested", retFilters[0], f.Name)
		}
	}
	if req.Entry {
		var fields []Field
		if len(entryPaths) > 0 || !returns {
			var err error
			if fields, err = b.selectFields(params, order, entryPaths); err != nil {
				return err
			}
		}
		cond, err := b.condition(f.Name, entryFilters, params, order)
		if err != nil {
			return err
		}
		pt, err := b.point(f, false)
		if err != nil {
			return err
		}
		if body := f.UnskippedBody; body != 0 && !b.in.Target.Kernel && frameParams(f) {
			// stap would fire at the entry of this template instance,
			// before its prologue stores the parameters it reads.
			pt = b.address(body)
		}
		b.add(Probe{Function: f.Name, Lang: f.Lang, Site: event.SiteEntry, Points: []Point{pt},
			Cond: cond, CondFrom: condFrom(entryFilters), Fields: append(fields, b.stacks()...)})
		if err := b.statLast(params, order); err != nil {
			return err
		}
	}
	if req.Return {
		if f.Inlined {
			b.plan.Notes = append(b.plan.Notes, f.Name+": inlined everywhere, no return to probe")
			return nil
		}
		// Filters on parameters test their entry values here (@entry, as
		// --fields prints them), beside those on the return value.
		vals, vorder := atReturn(f, params), slices.Clone(order)
		if _, ok := vals[ReturnRoot]; ok {
			vorder = append(vorder, ReturnRoot)
		}
		all := append(slices.Clone(entryFilters), retFilters...)
		cond, err := b.condition(f.Name, all, vals, vorder)
		if err != nil {
			return err
		}
		fields, err := b.returnFields(f, params, order, req.Fields)
		if err != nil {
			return err
		}
		pt, err := b.point(f, true)
		if err != nil {
			return err
		}
		b.add(Probe{Function: f.Name, Lang: f.Lang, Site: event.SiteReturn, Points: []Point{pt},
			Cond: cond, CondFrom: condFrom(all), Fields: fields})
		if err := b.statLast(atReturn(f, params), append(order, ReturnRoot)); err != nil {
			return err
		}
	}
	return nil
}

// frameParams reports whether a parameter of f lives in the frame at its
// entry (DW_OP_fbreg: -O0 code), where it is stored by the prologue.
func frameParams(f *debuginfo.Function) bool {
	return slices.ContainsFunc(f.Params, func(v debuginfo.Variable) bool { return strings.HasPrefix(v.Location, "fbreg") })
}

// ReturnRoot is the root of a field path on a C function's return value
// ("return->d_inode->i_ino").
const ReturnRoot = "return"

// returnFields are a C return probe's fields: the typed return value (none
// for void), then the named paths, parameters read as their entry values
// (@entry).
func (b *builder) returnFields(f *debuginfo.Function, params map[string]ref, order []string, paths []spec.Path) ([]Field, error) {
	if f.Return == nil {
		// No DWARF type: the value as a number, where stap finds one.
		if len(paths) == 0 || len(paths) == 1 && paths[0].Root == ReturnRoot && len(paths[0].Steps) == 0 {
			return []Field{{Name: ReturnRoot, Type: "return", Enc: event.EncInt, Value: ReturnValue{}, From: "--return"}}, nil
		}
	}
	vals := atReturn(f, params)
	// The return value comes first unless a path names part of it (void
	// has none: the record says when the function returned).
	var out []Field
	if r, ok := vals[ReturnRoot]; ok && !slices.ContainsFunc(paths, func(p spec.Path) bool { return p.Root == ReturnRoot }) {
		out = from(b.em.fields(r, ReturnRoot, b.plan.Limits.Depth), "--return")
	}
	if len(paths) == 0 {
		return out, nil
	}
	fs, err := b.selectFields(vals, append(order, ReturnRoot), paths)
	return append(out, fs...), err
}

// atReturn are the values a C return probe reads: the parameters as
// their entry values (@entry) and the typed return value (none for void).
func atReturn(f *debuginfo.Function, params map[string]ref) map[string]ref {
	vals := map[string]ref{}
	for name, r := range params {
		v := *r.v
		v.Entry = true
		vals[name] = ref{typ: r.typ, v: &v, reg: r.reg, regNum: r.regNum}
	}
	if f.Return != nil && f.Return.Kind != debuginfo.KindVoid {
		vals[ReturnRoot] = ref{typ: f.Return, v: &Var{Name: ReturnRoot}, reg: true}
	}
	return vals
}

// goFunction plans a Go function: values come from the register ABI
// (kernel runtime) and returns from RET-site probes.
func (b *builder) goFunction(f *debuginfo.Function, req spec.Probe) error {
	fs := b.filters(f.Name, req.Function)
	if f.NoTypes && (len(req.Fields) > 0 || len(fs) > 0) {
		return &NoTypesError{Function: f.Name}
	}
	bpf := b.em.bpf
	params, results := map[string]ref{}, map[string]ref{}
	var porder, rorder []string
	var goid Expr
	if !bpf && !f.NoTypes {
		if b.in.Go == nil {
			return refuse("no Go ABI facts for this binary")
		}
		ph, rh, err := b.in.Go.Homes(f)
		if err != nil {
			return fmt.Errorf("register assignment: %w", err)
		}
		for i, v := range f.Params {
			if i < len(ph) && isIdent(v.Name) {
				params[v.Name] = ref{typ: v.Type, home: &ph[i]}
				porder = append(porder, v.Name)
			}
		}
		for i, v := range f.Results {
			if i < len(rh) && isIdent(v.Name) {
				results[v.Name] = ref{typ: v.Type, home: &rh[i]}
				rorder = append(rorder, v.Name)
			}
		}
	}
	if !bpf && b.in.Go != nil {
		off, err := b.in.Go.GoidOffset()
		if err != nil {
			return fmt.Errorf("goroutine id: %w", err)
		}
		goid = Mem{Addr: Reg{goruntime.GRegister}, Off: off, Size: 8, Signed: true}
	}
	if bpf {
		for _, v := range f.Params {
			if !isIdent(v.Name) {
				continue
			}
			// stap 4.8's libdw evaluates Go locations only in location-list
			// form (Go's single expressions are DW_FORM_block1, which it
			// rejects), so only those parameters can be read as $vars.
			if v.LocList && strings.HasPrefix(v.Location, "reg") && !strings.HasPrefix(v.Name, "~") {
				params[v.Name] = varRef(v.Name, v.Type)
				porder = append(porder, v.Name)
			} else if !strings.HasPrefix(v.Name, "~") {
				// Printed as "!": stap 4.8 evaluates no single-expression
				// location, and BPF reads no stack pointer to compute one.
				params[v.Name] = ref{typ: v.Type, why: "passed on the stack, which the BPF runtime cannot read (no register access); use --runtime kernel"}
				porder = append(porder, v.Name)
			}
		}
		b.plan.Notes = append(b.plan.Notes, "BPF runtime: no register access, so no goroutine ids")
	}
	// A filter naming a result is tested at the RET, one naming
	// parameters at the entry, whose mark the RET checks.
	if _, ok := results[ReturnRoot]; !ok && len(rorder) > 0 {
		results[ReturnRoot] = results[rorder[0]]
	}
	entryFilters, retFilters := splitFilters(fs, func(root string) bool { _, ok := results[root]; return ok })
	for _, f := range retFilters {
		for _, root := range spec.Roots(f.Expr) {
			if _, ok := results[root]; !ok {
				return refuse("filter %s names the result %s and %s, which a Go return cannot read (its registers are reused by then); test parameters in a --where of their own, at the entry", f, spec.Roots(f.Expr)[0], root)
			}
		}
		if !req.Return {
			return refuse("filter %s names a result, which is known at the return: add --return", f)
		}
	}
	filtered := len(entryFilters) > 0
	if filtered && req.Return && !req.Entry {
		return refuse("filter %s is on parameters, which a Go function's entry tests for its return: add --entry", entryFilters[0])
	}
	// A field path belongs to the site where its root exists: parameters at
	// entry, results at a RET.
	var pf, rf []spec.Path
	for _, p := range req.Fields {
		_, isParam := params[p.Root]
		_, isResult := results[p.Root]
		switch {
		case isParam:
			pf = append(pf, p)
		case isResult:
			rf = append(rf, p)
		case bpf && hasParam(f, p.Root):
			return refuse("%s: the BPF runtime cannot read %s (passed on the stack); use --runtime kernel", p, p.Root)
		default:
			return refuse("no parameter or result %q (have: %v, results %v)", p.Root, porder, rorder)
		}
	}
	if len(pf) > 0 && !req.Entry {
		// Go reuses argument registers and stack slots: at a RET they hold
		// other values, and Go returns are probed at RETs, not .return.
		return refuse("%s is a parameter, which a Go return cannot read (its registers are reused by then); add the entry site (--entry) to print it there", pf[0])
	}
	if req.Entry {
		var guard *StackGuard
		var point *Point
		at := params
		var restart []uint64
		if bpf && b.in.Go != nil {
			if sc, ok := b.in.Go.StackCheck(f); ok && sc.Stub > f.Entry && sc.Stub < sc.End {
				restart = []uint64{sc.Stub, sc.End}
				b.restarts = true
			}
		}
		if bpf && restart == nil && (b.in.Go == nil || hasStackCheck(b.in.Go, f)) {
			b.plan.Notes = append(b.plan.Notes, f.Name+": BPF runtime: the entry probe fires a second time for a call that grows its stack or is preempted at its first instruction (no register access to tell); --runtime kernel with stap 5 counts exactly")
		}
		if !bpf && b.in.Go != nil {
			if sc, ok := b.in.Go.StackCheck(f); ok {
				if sc.Body != 0 && b.addressProbes() {
					// Past the branch the call is committed: a probe there
					// fires once, where reading the guard at the entry races
					// with the runtime setting it (a preemption request)
					// between the handler and the comparison.
					pt := b.address(sc.Body)
					point, at = &pt, belowFrame(params, sc.BodySP)
				} else {
					guard = &StackGuard{Guard: Mem{Addr: Reg{goruntime.GRegister}, Off: sc.Guard, Size: 8, Signed: true}, Frame: sc.Frame}
				}
			}
		}
		if point == nil {
			pt, err := b.point(f, false)
			if err != nil {
				return err
			}
			point = &pt
		}
		fields, err := b.selectFields(at, porder, pf)
		if err != nil {
			return err
		}
		cond, err := b.condition(f.Name, entryFilters, at, porder)
		if err != nil {
			return err
		}
		b.add(Probe{Function: f.Name, Lang: f.Lang, Site: event.SiteEntry, Points: []Point{*point},
			Goid: goid, Cond: cond, CondFrom: condFrom(entryFilters), Guard: guard, Fields: append(fields, b.stacks()...), Mark: filtered && req.Return,
			Dedup: req.Return && !bpf, Restart: restart})
		if err := b.statLast(at, porder); err != nil {
			return err
		}
	}
	if req.Return {
		switch {
		case bpf:
			return refuse("Go returns need register reads at RET instructions, which the BPF runtime lacks; use --runtime=kernel or drop --return")
		case !b.addressProbes():
			return refuse("Go returns need address probes on RET instructions, which stap %s cannot place in Go binaries (no .debug_aranges); use stap 5.0 or newer, or drop --return", b.in.Stap)
		case b.in.Target.Kernel:
			return refuse("Go function in a kernel target")
		}
		rets, err := b.in.Go.Rets(f)
		if err != nil {
			return fmt.Errorf("finding RET instructions: %w", err)
		}
		if len(rets) == 0 {
			b.plan.Notes = append(b.plan.Notes, f.Name+": no RET instruction (the function never returns)")
			return nil
		}
		var points []Point
		for _, a := range rets {
			points = append(points, b.address(a))
		}
		var fields []Field
		if len(req.Fields) == 0 || len(rf) > 0 {
			// Parameters are gone at a RET; only results print there.
			if fields, err = b.selectFields(results, rorder, rf); err != nil {
				return err
			}
		}
		cond, err := b.condition(f.Name, retFilters, results, rorder)
		if err != nil {
			return err
		}
		b.plan.Guru = true
		b.add(Probe{Function: f.Name, Lang: f.Lang, Site: event.SiteReturn, Points: points, Goid: goid,
			Check: filtered && req.Entry, Cond: cond, CondFrom: condFrom(retFilters), Fields: fields, ClearDedup: req.Entry})
		if err := b.statLast(results, rorder); err != nil {
			return err
		}
	}
	return nil
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
