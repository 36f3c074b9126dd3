package plan

import (
	"slices"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/spec"
)

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
