package plan

import (
	"fmt"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/spec"
)

// wholeDepth is how many levels a whole value ($ or $$) prints: $ one,
// $$ the request's --depth, at least two.
func wholeDepth(p spec.Path, l spec.Limits) int {
	if p.Whole == 1 {
		return 1
	}
	return max(l.Depth, 2)
}

// whole prints every member of r, depth levels deep: nested structs and
// unions, anonymous members' members in their place, and pointers to
// structs followed while levels remain (a pointer is printed, then what it
// points to). Each member is its own token, so a member that cannot be
// read (a NULL pointer's pointee) prints "!" and the rest still print;
// the JSON nests the tokens into one object (event.Part).
func (e *emitter) whole(r ref, p spec.Path, depth int) ([]Field, error) {
	key := p.String()
	if e.bpf {
		// Measured with stap 4.8: two strings in one handler already fail
		// translation ("insufficent BPF stack size"), and a read behind a
		// NULL pointer gives 0 rather than a fault.
		return nil, refuse("%s: whole values need the kernel runtime (stapbpf's 512-byte stack holds about one string per probe, and a member behind a NULL pointer would read as 0); use --runtime=kernel or name the members", key)
	}
	root := p
	root.Whole = 0
	name := root.String()
	if pointsToAggregate(r.typ) {
		// stap's $p$ on a pointer prints what it points to.
		d, err := r.deref()
		if err != nil {
			return []Field{e.missing(name, r.typ, err.Error())}, nil
		}
		r = d
	}
	if r.typ == nil || !isAggregate(r.typ) {
		return e.fields(r, name, depth), nil
	}
	w := &wholeWalk{e: e, part: event.Part{Whole: key, Type: typeName(r.typ)}}
	w.members(r, name, nil, depth)
	if w.cut {
		*e.notes = append(*e.notes, fmt.Sprintf("%s: only the first %d members printed; name the members wanted, or lower --depth", key, maxFieldsPerProbe))
	}
	if w.past > 0 {
		*e.notes = append(*e.notes, fmt.Sprintf("%s: %d nested structs past depth %d not printed; --depth %d prints them", key, w.past, depth, depth+1))
	}
	return w.out, nil
}

type wholeWalk struct {
	e    *emitter
	part event.Part
	out  []Field
	cut  bool
	// past counts the nested structs left out at the depth bound.
	past int
	// guards are the pointers followed by address on the way to the
	// member being added, outermost first.
	guards []Expr
}

// members prints the members of the struct or union r, whose path from the
// whole value is path.
func (w *wholeWalk) members(r ref, name string, path []event.PartStep, depth int) {
	for _, n := range memberNames(r.typ, 0) {
		if n == "_" {
			continue
		}
		m, err := r.member(n)
		mpath := append(append([]event.PartStep{}, path...), event.PartStep{Name: n})
		if err != nil {
			w.add(w.e.missing(name+"."+n, nil, err.Error()), mpath)
			continue
		}
		mpath[len(mpath)-1].Type = typeName(m.typ)
		w.value(m, name+"."+n, mpath, depth-1)
		if w.cut {
			return
		}
	}
}

// value prints one member, descending while levels remain.
func (w *wholeWalk) value(r ref, name string, path []event.PartStep, depth int) {
	switch {
	case r.typ != nil && isAggregate(r.typ) && depth > 0:
		w.members(r, name, path, depth)
	case pointsToAggregate(r.typ) && depth > 0:
		for _, f := range w.e.fields(r, name, 0) {
			w.add(f, path)
		}
		d, err := r.deref()
		if err != nil {
			return
		}
		if r.v == nil {
			// Read from user memory by address: guard on the pointer.
			p, err := w.e.scalar(r)
			if err != nil {
				return
			}
			w.guards = append(w.guards, p)
			defer func() { w.guards = w.guards[:len(w.guards)-1] }()
		}
		w.members(d, name, append(append([]event.PartStep{}, path...), event.PartStep{Name: "*", Type: typeName(d.typ)}), depth)
	case r.typ != nil && isAggregate(r.typ):
		// Past the bound: one note for the whole value says so.
		w.past++
	default:
		// Scalars, strings, arrays.
		for _, f := range w.e.fields(r, name, 0) {
			w.add(f, path)
		}
	}
}

func (w *wholeWalk) add(f Field, path []event.PartStep) {
	if len(w.out) >= maxFieldsPerProbe {
		w.cut = true
		return
	}
	for i := len(w.guards) - 1; i >= 0; i-- {
		f.Value = NonNil{Ptr: w.guards[i], X: f.Value}
	}
	part := w.part
	part.Path = path
	f.Part = &part
	w.out = append(w.out, f)
}

func isAggregate(t *debuginfo.Type) bool {
	return t.Kind == debuginfo.KindStruct || t.Kind == debuginfo.KindUnion
}

func pointsToAggregate(t *debuginfo.Type) bool {
	return t != nil && t.Kind == debuginfo.KindPointer && t.Elem != nil && isAggregate(t.Elem)
}
