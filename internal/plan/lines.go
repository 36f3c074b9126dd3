package plan

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/spec"
)

// LineLister is a Resolver that also knows a function's probe-able lines
// (the DWARF index). Line probes that name their function need it.
type LineLister interface {
	Lines(f *debuginfo.Function) ([]debuginfo.Line, error)
	LineAt(f *debuginfo.Function, n int) ([]debuginfo.Line, error)
	IsClone(f *debuginfo.Function) bool
}

var (
	_ LineLister = (*debuginfo.Index)(nil)
	_ LineFinder = (*debuginfo.Index)(nil)
)

// siteName says which copy of a function an address of a line is in.
func siteName(l debuginfo.Line) string {
	if l.InlinedIn != "" {
		return fmt.Sprintf("%#x, in the copy inlined into %s", l.Addr, l.InlinedIn)
	}
	return fmt.Sprintf("%#x", l.Addr)
}

// LineFinder is a Resolver that finds the functions with code of a line
// (the DWARF index), so that a FILE:LINE probe is checked and typed like
// a FUNCTION@FILE:LINE one.
type LineFinder interface {
	FunctionsAtLine(file string, n int) (debuginfo.LineFunctions, error)
}

// LineError refuses a line probe on a line, or a variable at a line,
// that is not there. Hint names what is: the nearest probe-able lines,
// the variables in scope.
type LineError struct{ Msg, Hint string }

func (e *LineError) Error() string        { return e.Msg }
func (e *LineError) Is(target error) bool { return target == ErrRefused }

// fileLine plans FILE:LINE as a probe on that line of each function with
// code there; false when the resolver cannot tell which functions those
// are (a Go binary: its line probes stay stap's own, untyped).
func (b *builder) fileLine(file string, n int, req spec.Probe) (bool, error) {
	lf, ok := b.in.Funcs.(LineFinder)
	if !ok || b.in.Target.GoVersion != "" {
		return false, nil
	}
	found, err := lf.FunctionsAtLine(file, n)
	if err != nil {
		return true, err
	}
	fns := found.Funcs
	if len(fns) == 0 && found.Coded {
		// Only inlined copies have the line (a header's static inline):
		// stap's *@FILE:LINE finds them, untyped.
		b.plan.Notes = append(b.plan.Notes, fmt.Sprintf("%s:%d: only inlined copies have code of this line; its variables print untyped", file, n))
		return false, nil
	}
	if len(fns) == 0 {
		what := fmt.Sprintf("%s:%d: no code has line %d of %s", file, n, n, file)
		if len(found.Near) == 0 {
			return true, &LineError{Msg: what, Hint: fmt.Sprintf("no line of a file %s has code; name the function: FUNCTION@FILE:LINE, from `stapgen lines TARGET FUNCTION`", file)}
		}
		var ns []string
		for _, l := range found.Near {
			ns = append(ns, strconv.Itoa(l))
		}
		return true, &LineError{Msg: what, Hint: "nearest lines with code: " + strings.Join(ns, " or ")}
	}
	for _, f := range fns {
		if err := b.funcLine(f.Name, f.File, n, req); err != nil {
			return true, err
		}
	}
	return true, nil
}

// funcLine plans a probe on line n of function fn in file: the line must
// be one Lines lists (what stap would resolve), and each field path must
// start at a variable in scope there; values print typed, as at entry.
func (b *builder) funcLine(fn, file string, n int, req spec.Probe) error {
	ll, ok := b.in.Funcs.(LineLister)
	if !ok {
		return refuse("line probes need the target's DWARF, which it does not have; probe a function instead")
	}
	if b.em.bpf {
		return refuse("line probes need the kernel runtime (stap's BPF runtime places no statement probes)")
	}
	if b.in.Target.GoVersion != "" && !b.in.Stap.AtLeast(5, 0) {
		return refuse("line probes in Go binaries need stap 5.0 or newer (stap %s cannot place them)", b.in.Stap)
	}
	fns, err := b.in.Funcs.Match(fn)
	if err != nil {
		return err
	}
	// The out-of-line copy (whose lines include the unit's inlined
	// copies), else an inline-only function's copies; never a GCC clone,
	// where stap places no FUNCTION@FILE:LINE.
	var f *debuginfo.Function
	var files []string
	for _, inlined := range []bool{false, true} {
		for _, g := range fns {
			if f != nil || g.Inlined != inlined || g.NoTypes || g.Name != fn || ll.IsClone(g) {
				continue
			}
			if g.File == file || strings.HasSuffix(g.File, "/"+file) {
				f = g
			} else if !slices.Contains(files, g.File) {
				files = append(files, g.File)
			}
		}
	}
	if f == nil {
		if len(files) == 0 {
			return refuse("%s has no code with DWARF, so no line of it can be probed", fn)
		}
		return &LineError{Msg: fmt.Sprintf("%s is not in %s", fn, file), Hint: "it is in " + strings.Join(files, ", ")}
	}
	name, err := b.stapName(f)
	if err != nil {
		return err
	}
	lines, err := ll.Lines(f)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRefused, err)
	}
	spelled := fmt.Sprintf("%s@%s:%d", f.Name, f.File, n)
	sites, err := ll.LineAt(f, n)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRefused, err)
	}
	if len(sites) == 0 {
		return &LineError{Msg: fmt.Sprintf("%s: no probe-able line %d in %s (no line record of it inside the function)", spelled, n, f.Name),
			Hint: nearestLines(lines, n) + fmt.Sprintf("; all of them: `stapgen lines TARGET %s`", f.Name)}
	}
	// stap places the probe at every site and resolves each $var at each
	// one, failing pass 2 where one is missing: only variables readable
	// at all of them can be printed.
	vals := map[string]ref{}
	var order []string
	why := map[string]string{}
	for _, v := range sites[0].Vars {
		if _, dup := vals[v.Name]; dup || !isIdent(v.Name) {
			continue // an inner block's variable hides an outer one
		}
		vals[v.Name] = varRef(v.Name, v.Type)
		order = append(order, v.Name)
	}
	for _, l := range sites {
		for _, name := range order {
			if _, ok := why[name]; ok {
				continue
			}
			v, ok := l.Var(name)
			switch {
			case !ok:
				why[name] = fmt.Sprintf("%s has no location at %s", name, siteName(l))
			case unreadableAt(v) != "":
				why[name] = unreadableAt(v) + " (" + siteName(l) + ")"
			}
		}
	}
	var fields []Field
	if len(req.Fields) == 0 {
		var readable []string
		for _, name := range order {
			if w, ok := why[name]; ok {
				fields = append(fields, from([]Field{b.em.missing(name, vals[name].typ, w)}, DefaultField+name)...)
				continue
			}
			readable = append(readable, name)
		}
		more, err := b.selectFields(vals, readable, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", spelled, err)
		}
		fields = append(fields, more...)
	} else {
		for _, p := range req.Fields {
			if _, ok := vals[p.Root]; !ok {
				return &LineError{Msg: fmt.Sprintf("%s: no variable %q in scope with a location", spelled, p.Root),
					Hint: varsHint(lines, sites[0], p.Root)}
			}
			if w, ok := why[p.Root]; ok {
				return &LineError{Msg: fmt.Sprintf("%s: %s: %s", spelled, p, w), Hint: varsHint(lines, sites[0], p.Root)}
			}
		}
		var err error
		if fields, err = b.selectFields(vals, order, req.Fields); err != nil {
			return fmt.Errorf("%s: %w", spelled, err)
		}
	}
	fs := b.filters(f.Name, req.Function)
	cond, err := b.condition(spelled, fs, vals, order)
	if err != nil {
		return err
	}
	point := Point{Kind: PointStatement, Path: b.userPath(), Module: b.module(f), Name: fmt.Sprintf("%s@%s:%d", name, f.File, n), Addr: sites[0].Addr}
	b.add(Probe{Function: spelled, Lang: f.Lang, Site: event.SiteLine, Points: []Point{point},
		Cond: cond, CondFrom: condFrom(fs), Fields: append(fields, b.stacks()...)})
	return nil
}

// nearestLines names the probe-able lines on either side of n.
func nearestLines(lines []debuginfo.Line, n int) string {
	if len(lines) == 0 {
		return "the function has no probe-able line"
	}
	nums := make([]int, len(lines))
	for i, l := range lines {
		nums[i] = l.Line
	}
	sort.Ints(nums)
	i := sort.SearchInts(nums, n)
	var near []string
	if i > 0 {
		near = append(near, strconv.Itoa(nums[i-1]))
	}
	if i < len(nums) {
		near = append(near, strconv.Itoa(nums[i]))
	}
	return fmt.Sprintf("nearest probe-able lines: %s (the function's run from %d to %d)", strings.Join(near, " or "), nums[0], nums[len(nums)-1])
}

// varsHint names the variables at line at, and the listed lines where
// name is readable.
func varsHint(lines []debuginfo.Line, at debuginfo.Line, name string) string {
	where := map[int]bool{}
	for _, l := range lines {
		if v, ok := l.Var(name); ok && unreadableAt(v) == "" {
			where[l.Line] = true
		}
	}
	for _, l := range lines { // every copy's place of a line must have it
		if v, ok := l.Var(name); !ok || unreadableAt(v) != "" {
			delete(where, l.Line)
		}
	}
	var here []string
	for _, v := range at.Vars {
		here = append(here, v.Name)
	}
	h := fmt.Sprintf("in scope at line %d: %s", at.Line, strings.Join(here, ", "))
	if len(here) == 0 {
		h = fmt.Sprintf("no variable has a location at line %d", at.Line)
	}
	var nums []int
	for n := range where {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var ws []string
	for _, n := range nums {
		ws = append(ws, strconv.Itoa(n))
	}
	if len(ws) > 0 {
		h += fmt.Sprintf("; %s is readable at lines %s", name, strings.Join(ws, ", "))
	}
	return h
}

// unreadableAt says why stap cannot read variable v at a line although
// stap -L lists it there, "" when it can:
//   - a struct or union held whole in one register (GCC -O2 passes small
//     structs so): pass 2 refuses $v->member ("cannot handle offset into
//     register");
//   - a value DWARF knows only as it was at the function's entry
//     (DW_OP_entry_value): stap 5 reads it from a global that nothing
//     sets at a statement probe ("never-assigned global variable
//     __global_tvar_entry_value_..."), so it would print 0.
func unreadableAt(v debuginfo.Variable) string {
	if v.Location == "entry_value" {
		return fmt.Sprintf("%s is known here only as its value at the function's entry (DW_OP_entry_value), which stap cannot read at a line", v.Name)
	}
	if v.Type == nil || !strings.HasPrefix(v.Location, "reg ") {
		return ""
	}
	switch v.Type.Kind {
	case debuginfo.KindStruct, debuginfo.KindUnion, debuginfo.KindArray:
		return fmt.Sprintf("%s (%s) is held in register %s here, and stap cannot read members of a value in a register", v.Name, v.Type.Name, strings.TrimPrefix(v.Location, "reg "))
	}
	return ""
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
