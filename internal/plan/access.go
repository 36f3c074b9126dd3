package plan

import (
	"fmt"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
)

// ref is a way to reach one value at a probe site.
type ref struct {
	typ *debuginfo.Type
	// Exactly one of the three forms is used:
	// stap: a stap $-expression evaluated by stap's DWARF machinery (C, kernel,
	// and Go register params under the BPF runtime).
	stap string
	// home: a Go value in registers or on the stack, at byte offset off.
	home *Home
	// addr: a Go value in user memory at stap expression addr + off.
	addr string
	off  int64
}

// errUnreadable explains why a value cannot be printed; the plan turns it
// into a refusal or a "!" token.
type errUnreadable struct{ why string }

func (e *errUnreadable) Error() string { return e.why }

func unreadable(format string, args ...any) error {
	return &errUnreadable{fmt.Sprintf(format, args...)}
}

// word reads an integer of the given size at byte offset extra within r.
func (r ref) word(extra, size int64, signed bool) (string, error) {
	off := r.off + extra
	switch {
	case r.stap != "":
		return "", unreadable("internal: word on a stap expression")
	case r.home != nil && !r.home.Stack:
		for _, p := range r.home.Pieces {
			if p.Off == off && p.Size >= size {
				if strings.HasPrefix(p.Reg, "x") {
					return "", unreadable("floating-point registers are not readable through stap's register API")
				}
				return narrow(fmt.Sprintf("u_register(%q)", p.Reg), size, signed), nil
			}
		}
		return "", unreadable("no register holds byte %d of the value", off)
	case r.home != nil:
		return memRead(fmt.Sprintf("u_register(\"rsp\") + %d", 8+r.home.CFAOff+off), size, signed), nil
	default:
		a := r.addr
		if off != 0 {
			a = fmt.Sprintf("%s + %d", r.addr, off)
		}
		return memRead(a, size, signed), nil
	}
}

// narrow keeps the low size bytes of a register, sign-extending when asked.
func narrow(e string, size int64, signed bool) string {
	if size >= 8 {
		return e
	}
	bits := size * 8
	mask := fmt.Sprintf("0x%x", uint64(1)<<bits-1)
	if !signed {
		return fmt.Sprintf("(%s & %s)", e, mask)
	}
	sign := fmt.Sprintf("0x%x", uint64(1)<<(bits-1))
	return fmt.Sprintf("(((%s & %s) ^ %s) - %s)", e, mask, sign, sign)
}

func memRead(addr string, size int64, signed bool) string {
	n := map[int64]string{1: "8", 2: "16", 4: "32", 8: "64"}[size]
	if n == "" {
		n = "64"
	}
	if signed {
		return fmt.Sprintf("user_int%s(%s)", n, addr)
	}
	return fmt.Sprintf("user_uint%s(%s)", n, addr)
}

// field steps into a struct member.
func (r ref) field(f debuginfo.Field) ref {
	out := r
	out.typ = f.Type
	if r.stap != "" {
		out.stap = r.stap + "->" + f.Name
		return out
	}
	out.off = r.off + f.Offset
	return out
}

// deref follows a pointer value: the pointee is in memory at the pointer.
func (r ref) deref() (ref, error) {
	elem := r.typ.Elem
	if elem == nil {
		return ref{}, unreadable("cannot follow %s: unknown pointee", r.typ.Name)
	}
	if r.stap != "" {
		// stap follows pointers with -> itself; the caller adds the member.
		return ref{typ: elem, stap: r.stap}, nil
	}
	p, err := r.word(0, 8, false)
	if err != nil {
		return ref{}, err
	}
	return ref{typ: elem, addr: p}, nil
}

// index steps into element i of an array, a pointer, or a Go slice.
func (r ref) index(i int) (ref, error) {
	t := r.typ
	switch t.Kind {
	case debuginfo.KindArray:
		if t.Count >= 0 && int64(i) >= t.Count {
			return ref{}, unreadable("index %d out of range for %s", i, t.Name)
		}
		if r.stap != "" {
			return ref{typ: t.Elem, stap: fmt.Sprintf("%s[%d]", r.stap, i)}, nil
		}
		out := r
		out.typ = t.Elem
		out.off = r.off + int64(i)*sizeOf(t.Elem)
		return out, nil
	case debuginfo.KindPointer:
		if r.stap != "" {
			return ref{typ: t.Elem, stap: fmt.Sprintf("%s[%d]", r.stap, i)}, nil
		}
		p, err := r.word(0, 8, false)
		if err != nil {
			return ref{}, err
		}
		return ref{typ: t.Elem, addr: p, off: int64(i) * sizeOf(t.Elem)}, nil
	case debuginfo.KindSlice:
		if r.stap != "" {
			return ref{typ: t.Elem, stap: fmt.Sprintf("%s->array[%d]", r.stap, i)}, nil
		}
		p, err := r.word(0, 8, false)
		if err != nil {
			return ref{}, err
		}
		return ref{typ: t.Elem, addr: p, off: int64(i) * sizeOf(t.Elem)}, nil
	}
	return ref{}, unreadable("%s cannot be indexed", t.Name)
}

func sizeOf(t *debuginfo.Type) int64 {
	if t == nil || t.Size <= 0 {
		return 8
	}
	return t.Size
}

// member finds a struct member by name, following pointers first.
func (r ref) member(name string) (ref, error) {
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
	switch r.typ.Kind {
	case debuginfo.KindStruct, debuginfo.KindUnion, debuginfo.KindString, debuginfo.KindSlice, debuginfo.KindInterface:
	default:
		return ref{}, unreadable("%s has no member %q", r.typ.Name, name)
	}
	for _, f := range r.typ.Members() {
		if f.Name == name {
			return r.field(f), nil
		}
	}
	var names []string
	for _, f := range r.typ.Members() {
		names = append(names, f.Name)
	}
	return ref{}, unreadable("%s has no member %q (members: %s)", r.typ.Name, name, strings.Join(names, ", "))
}
