package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/debuginfo/nameindex"
	"github.com/stapgen/stapgen/internal/goabi"
)

// ref is a way to reach one value at a probe site.
type ref struct {
	typ *debuginfo.Type
	// Exactly one of the three forms is used:
	// v: a stap target variable evaluated by stap's DWARF machinery (C,
	// kernel, and Go register params under the BPF runtime).
	v *Var
	// home: a Go value in registers or on the stack, at byte offset off.
	home *goabi.Loc
	// addr: a Go value in user memory at addr + off.
	addr Expr
	off  int64
	// reg: the value itself is in a register (a C parameter whose DWARF
	// location is one, or $return); its members are in memory.
	reg bool
	// regNum+1 is the DWARF number of the register holding a C parameter
	// at the entry (0: not one register there).
	regNum int
	// why, when set, says the value cannot be read here: it prints "!"
	// with the reason in the notes.
	why string
	// words, on the BPF runtime, reads the stack and memory of a home or
	// addr form through @cast (bpfstack.go); nil reads them with user_*.
	words *castWords
	// ureg: home's registers are read with @uregister (the BPF runtime,
	// which has no u_register(), bpfret.go); the memory they point to
	// only through words.
	ureg bool
	// through are the pointers followed to reach the value, outermost
	// first: the BPF runtime's reads give 0 behind a NULL one where the
	// kernel runtime's fault, so there its fields print only when none is
	// NULL (emitter.fields, NonNil).
	through []Expr
}

// behind is what a value reached through pointer p from r is through.
func (r ref) behind(p Expr) []Expr { return append(slices.Clip(r.through), p) }

// errUnreadable explains why a value cannot be printed; the plan turns it
// into a refusal or a "!" token.
type errUnreadable struct{ why string }

func (e *errUnreadable) Error() string { return e.why }

func unreadable(format string, args ...any) error {
	return &errUnreadable{fmt.Sprintf(format, args...)}
}

// varRef is the target variable $name.
func varRef(name string, t *debuginfo.Type) ref { return ref{typ: t, v: &Var{Name: name}} }

// step extends a target variable by one member or index.
func (r ref) step(t *debuginfo.Type, s VarStep) ref {
	v := *r.v
	v.Steps = append(append([]VarStep{}, r.v.Steps...), s)
	return ref{typ: t, v: &v, through: r.through}
}

// word reads an integer of the given size at byte offset extra within r.
func (r ref) word(extra, size int64, signed bool) (Expr, error) {
	off := r.off + extra
	switch {
	case r.v != nil:
		return nil, unreadable("internal: word on a stap variable")
	case r.home != nil && !r.home.Stack:
		for _, p := range r.home.Pieces {
			if p.Off == off && p.Size >= size {
				if strings.HasPrefix(p.Reg, "x") {
					return nil, unreadable("floating-point registers are not readable through stap's register API")
				}
				if r.ureg {
					return uregWord(p.Reg, size, signed)
				}
				if size >= 8 {
					return Reg{p.Reg}, nil
				}
				return Narrow{X: Reg{p.Reg}, Size: size, Signed: signed}, nil
			}
		}
		return nil, unreadable("no register holds byte %d of the value", off)
	case r.home != nil && r.ureg && r.words == nil:
		return nil, unreadable(errBPFStackResult)
	case r.home != nil:
		// The home is CFA-relative, the CFA 8 bytes above RSP at the
		// entry and at a RET, past the CALL's return address: a result
		// on the stack is read where a parameter there is.
		at := 8 + r.home.Off + off
		if r.words != nil {
			return r.words.read(UReg{Num: rspNum}, at, size, signed)
		}
		return Mem{Addr: Reg{"rsp"}, Off: at, Size: memSize(size), Signed: signed}, nil
	case r.words != nil:
		return r.words.read(r.addr, off, size, signed)
	default:
		return Mem{Addr: r.addr, Off: off, Size: memSize(size), Signed: signed}, nil
	}
}

// memSize is the width of a memory read: stap reads 1, 2, 4 or 8 bytes.
func memSize(size int64) int64 {
	switch size {
	case 1, 2, 4:
		return size
	}
	return 8
}

// field steps into a struct member.
func (r ref) field(f debuginfo.Field) ref {
	if r.v != nil {
		return r.step(f.Type, VarStep{Member: f.Name})
	}
	out := r
	out.typ = f.Type
	out.off = r.off + f.Offset
	return out
}

// pointer is the address pointer value r holds, for a read of what it
// points to: a BPF result's registers give one only where memory reads
// through words.
func (r ref) pointer() (Expr, error) {
	if r.ureg && r.words == nil {
		return nil, unreadable(errBPFResultMemory)
	}
	return r.word(0, 8, false)
}

// deref follows a pointer value: the pointee is in memory at the pointer.
func (r ref) deref() (ref, error) {
	elem := r.typ.Elem
	if elem == nil {
		return ref{}, unreadable("cannot follow %s: unknown pointee", r.typ.Name)
	}
	if r.v != nil {
		// stap follows pointers with -> itself; the caller adds the member.
		return ref{typ: elem, v: r.v, through: r.behind(*r.v)}, nil
	}
	p, err := r.pointer()
	if err != nil {
		return ref{}, err
	}
	return ref{typ: elem, addr: p, words: r.words, through: r.behind(p)}, nil
}

// index steps into element i of an array, a pointer, or a Go slice.
func (r ref) index(i int) (ref, error) {
	t := r.typ
	switch t.Kind {
	case debuginfo.KindArray:
		if t.Count >= 0 && int64(i) >= t.Count {
			return ref{}, unreadable("index %d out of range for %s", i, t.Name)
		}
		if r.v != nil {
			return r.step(t.Elem, VarStep{Index: i}), nil
		}
		out := r
		out.typ = t.Elem
		out.off = r.off + int64(i)*sizeOf(t.Elem)
		return out, nil
	case debuginfo.KindPointer, debuginfo.KindSlice:
		if r.v != nil {
			if t.Kind == debuginfo.KindSlice {
				r = r.step(nil, VarStep{Member: "array"})
			}
			r.through = r.behind(*r.v)
			return r.step(t.Elem, VarStep{Index: i}), nil
		}
		p, err := r.pointer()
		if err != nil {
			return ref{}, err
		}
		return ref{typ: t.Elem, addr: p, off: int64(i) * sizeOf(t.Elem), words: r.words, through: r.behind(p)}, nil
	}
	return ref{}, unreadable("%s cannot be indexed", t.Name)
}

func sizeOf(t *debuginfo.Type) int64 {
	if t == nil || t.Size <= 0 {
		return 8
	}
	return t.Size
}

// member finds a struct member by name, following pointers first. Members
// of anonymous structs and unions are reached by their own names, as in C
// (struct qstr's len sits in an anonymous struct in an anonymous union).
func (r ref) member(name string) (ref, error) {
	r, err := r.pointee()
	if err != nil {
		return ref{}, err
	}
	switch r.typ.Kind {
	case debuginfo.KindStruct, debuginfo.KindUnion, debuginfo.KindString, debuginfo.KindSlice, debuginfo.KindInterface:
	default:
		return ref{}, unreadable("%s has no member %q", r.typ.Name, name)
	}
	chain := findMember(r.typ, name, 0)
	if chain == nil {
		names := memberNames(r.typ, 0)
		if len(names) > maxListedMembers {
			// A big struct (task_struct has hundreds): the nearest names.
			if near := nameindex.Similar(name, names, 8); len(near) > 0 {
				return ref{}, unreadable("%s has no member %q (similar: %s; %d members)", r.typ.Name, name, strings.Join(near, ", "), len(names))
			}
		}
		return ref{}, unreadable("%s has no member %q (members: %s)", r.typ.Name, name, strings.Join(names, ", "))
	}
	if r.v != nil {
		// stap finds members of anonymous members by name itself.
		return r.step(chain[len(chain)-1].Type, VarStep{Member: name}), nil
	}
	for _, f := range chain {
		r = r.field(f)
	}
	return r, nil
}

// pointee follows pointers (a few hops) down to the value they reach.
func (r ref) pointee() (ref, error) {
	for hops := 0; r.typ != nil && r.typ.Kind == debuginfo.KindPointer; hops++ {
		if hops > 4 {
			return ref{}, unreadable("too many pointer hops")
		}
		d, err := r.deref()
		if err != nil {
			return ref{}, err
		}
		r = d
	}
	if r.typ == nil {
		return ref{}, unreadable("no type")
	}
	return r, nil
}

// maxListedMembers is the most members a refusal lists in full.
const maxListedMembers = 16

// maxAnonDepth bounds the search through nested anonymous members.
const maxAnonDepth = 8

// findMember is the chain of members from t to the member called name,
// through anonymous structs and unions; nil when there is none.
func findMember(t *debuginfo.Type, name string, depth int) []debuginfo.Field {
	if depth > maxAnonDepth {
		return nil
	}
	ms := t.Members()
	for _, f := range ms {
		if f.Name == name {
			return []debuginfo.Field{f}
		}
	}
	for _, f := range ms {
		if isAnonymous(f) {
			if c := findMember(f.Type, name, depth+1); c != nil {
				return append([]debuginfo.Field{f}, c...)
			}
		}
	}
	return nil
}

// memberNames are the names reachable as members of t, anonymous members'
// members in their place.
func memberNames(t *debuginfo.Type, depth int) []string {
	var out []string
	for _, f := range t.Members() {
		switch {
		case isAnonymous(f) && depth < maxAnonDepth:
			out = append(out, memberNames(f.Type, depth+1)...)
		case f.Name != "":
			out = append(out, f.Name)
		}
	}
	return out
}

// isAnonymous is an unnamed struct or union member, whose members belong
// to the enclosing type.
func isAnonymous(f debuginfo.Field) bool {
	return f.Name == "" && f.Type != nil && (f.Type.Kind == debuginfo.KindStruct || f.Type.Kind == debuginfo.KindUnion)
}

// cast reads r, a pointer or an integer address, as pointing to t, a type
// stap finds in module's DWARF.
func (r ref) cast(t *debuginfo.Type, spelling, module string) (ref, error) {
	if r.typ != nil {
		switch r.typ.Kind {
		case debuginfo.KindPointer, debuginfo.KindInt, debuginfo.KindUint:
		default:
			return ref{}, unreadable("cannot cast %s (%s) to %s: only pointers and integers hold an address", r.typ.Name, r.typ.Kind, spelling)
		}
	}
	if r.v != nil {
		// A value read at the entry (@entry at a return) stays one: the
		// whole chain past the cast goes inside the @entry, as it does
		// without a cast.
		x := *r.v
		x.Entry = false
		return ref{typ: t, v: &Var{Of: Cast{X: x, Type: spelling, Module: module}, Entry: r.v.Entry}, through: r.behind(*r.v)}, nil
	}
	p, err := r.pointer()
	if err != nil {
		return ref{}, err
	}
	return ref{typ: t, addr: p, words: r.words, through: r.behind(p)}, nil
}
