package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/goruntime"
	"github.com/stapgen/stapgen/internal/spec"
)

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
		// No assignment (no Go facts, a type the ABI code does not place):
		// such parameters print "!", the probe still runs.
		var ph []goabi.Loc
		noHome := "no Go ABI facts for this binary"
		if b.in.Go != nil && !f.NoTypes {
			var err error
			if ph, _, err = b.in.Go.Homes(f); err != nil {
				noHome = fmt.Sprintf("no register assignment: %v", err)
			}
		}
		// A stripped binary's register parameters read through the DWARF
		// its generated debug file will carry (RegFunc); a function with
		// none is described too, so the file has the uint64 its goroutine
		// id and stack words are read through.
		described := map[string]bool{}
		if b.in.Target.Symbols {
			var rp []RegParam
			for i, v := range f.Params {
				if i < len(ph) {
					if p, ok := regParam(v.Name, v.Type, ph[i]); ok {
						rp = append(rp, p)
						described[v.Name] = true
					}
				}
			}
			b.regFunc(f, rp)
		}
		for i, v := range f.Params {
			// stap 4.8's libdw evaluates Go locations only in location-list
			// form (Go's single expressions are DW_FORM_block1, which it
			// rejects), so only those parameters can be read as $vars; the
			// others from their ABI homes (bpfParam).
			// An interface is read from its ABI home too: Go 1.26 describes
			// an `any` parameter as three pieces (rax, rax, rbx), which
			// makes its data word the type word.
			named := isIdent(v.Name) && !strings.HasPrefix(v.Name, "~")
			iface := v.Type != nil && v.Type.Kind == debuginfo.KindInterface && i < len(ph)
			switch {
			case !iface && (described[v.Name] || named && v.LocList && strings.HasPrefix(v.Location, "reg")):
				params[v.Name] = varRef(v.Name, v.Type)
			case !named:
				continue
			case i < len(ph):
				params[v.Name] = b.bpfParam(v, &ph[i], "")
			default:
				params[v.Name] = b.bpfParam(v, nil, noHome)
			}
			porder = append(porder, v.Name)
		}
		// Results are read at RETs, from their registers (bpfret.go).
		results, rorder = b.bpfResults(f)
		why := "no Go ABI facts for this binary"
		if b.in.Go != nil {
			goid, why = b.bpfGoid()
		}
		if goid == nil {
			if note := "BPF runtime: no goroutine ids: " + why; !slices.Contains(b.plan.Notes, note) {
				b.plan.Notes = append(b.plan.Notes, note)
			}
		}
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
			return refuse("%s: the BPF runtime cannot read %s, a parameter without a name of its own; use --runtime kernel", p, p.Root)
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
		var statGuard *StackGuard
		if bpf && b.in.Go != nil {
			if sc, ok := b.in.Go.StackCheck(f); ok && sc.Stub > f.Entry && sc.Stub < sc.End {
				restart = []uint64{sc.Stub, sc.End}
				b.restarts = true
				if g, _ := b.bpfGWord(sc.Guard, "stackguard0"); g != nil {
					statGuard = &StackGuard{Guard: g, Frame: sc.Frame}
				}
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
			Dedup: req.Return && !bpf, Restart: restart, StatGuard: statGuard})
		if err := b.statLast(at, porder); err != nil {
			return err
		}
	}
	if req.Return {
		switch {
		case bpf:
			if err := b.bpfReturnRefusal(f, filtered && req.Entry, goid); err != nil {
				return err
			}
			// The debug file of a Symbols target carries DWARF for f,
			// parameters described or not: the word type that a RET's
			// goroutine id and string scans are read through (@cast).
			if b.in.Target.Symbols {
				b.regFunc(f, nil)
			}
		case !b.addressProbes():
			return b.noRetProbes()
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
			Check: filtered && req.Entry, Cond: cond, CondFrom: condFrom(retFilters), Fields: fields, ClearDedup: req.Entry && !bpf})
		if err := b.statLast(results, rorder); err != nil {
			return err
		}
	}
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
