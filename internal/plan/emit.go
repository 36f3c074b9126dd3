package plan

import (
	"fmt"
	"slices"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/spec"
)

// maxFieldsPerProbe bounds a record's width whatever the types look like.
const maxFieldsPerProbe = 32

// emitter turns refs into printed fields for one runtime.
type emitter struct {
	bpf    bool
	kernel bool // C strings live in kernel memory
	limits spec.Limits
	notes  *[]string
	// goVersion is the Go binary's version, for runtime layouts.
	goVersion string
	// types are the binary's runtime type facts (goval.go), nil for none.
	types func() *GoTypes
	// word is CString.Word and WordModule, looked up once (bpfWord).
	word func() (string, string)
}

// scalar is the expression of a scalar value.
func (e *emitter) scalar(r ref) (Expr, error) {
	if r.v != nil {
		return *r.v, nil
	}
	return r.word(0, sizeOf(r.typ), r.typ.Kind == debuginfo.KindInt || r.typ.Kind == debuginfo.KindEnum)
}

func (e *emitter) missing(name string, t *debuginfo.Type, why string) Field {
	if note := fmt.Sprintf("%s: %s", name, why); !slices.Contains(*e.notes, note) {
		*e.notes = append(*e.notes, note) // an entry and its return say it once
	}
	return Field{Name: name, Type: typeName(t), Enc: event.EncInt, Value: Missing{Why: why}}
}

// runtimeMissing is a value this runtime cannot read that the other can:
// it prints "!" and the script still runs.
func (e *emitter) runtimeMissing(name string, t *debuginfo.Type, why string) Field {
	f := e.missing(name, t, why)
	f.Value = Missing{Why: why, Runtime: true}
	return f
}

func typeName(t *debuginfo.Type) string {
	if t == nil {
		return "?"
	}
	if t.GoName != "" {
		return t.GoName
	}
	return t.Name
}

func signedKind(k debuginfo.Kind) bool { return k == debuginfo.KindInt || k == debuginfo.KindEnum }

func intEnc(signed bool) event.Enc {
	if signed {
		return event.EncInt
	}
	return event.EncUint
}

// fields returns the printed fields for value r named name, expanding
// structs up to depth levels.
func (e *emitter) fields(r ref, name string, depth int) []Field {
	out := e.fieldsOf(r, name, depth)
	tests := e.testedPointers(r)
	if len(tests) == 0 {
		return out
	}
	for i, f := range out {
		switch f.Value.(type) {
		case Missing, NonNil, CString:
			// Missing prints "!" anyway; a NonNil is a member of a struct
			// whose fields were guarded with every pointer above them; a
			// C string's pointer behind NULL reads 0, which its own test
			// prints as "!" (and a second test beside its copy is more
			// than stapbpf's stack holds, seen with an int beside it).
			continue
		}
		for j := len(tests) - 1; j >= 0; j-- {
			f.Value = NonNil{Ptr: tests[j], X: f.Value}
		}
		out[i] = f
	}
	return out
}

// testedPointers are the pointers r is reached through that this runtime
// tests before reading behind them: on BPF, whose reads give 0 behind
// NULL, all but the entry's values at a return, which stap 4.8 keeps in
// an @entry slot each, so that a test's copy took the handler past its
// 512-byte stack (seen: three entry values and the result of ls's
// print_file_name_and_frills); those read 0 behind NULL still.
func (e *emitter) testedPointers(r ref) []Expr {
	if !e.bpf {
		return nil
	}
	var out []Expr
	for _, p := range r.through {
		if v, ok := p.(Var); ok && v.Entry {
			continue
		}
		out = append(out, p)
	}
	return out
}

func (e *emitter) fieldsOf(r ref, name string, depth int) []Field {
	t := r.typ
	if r.why != "" {
		return []Field{e.missing(name, t, r.why)}
	}
	if t == nil {
		return []Field{e.missing(name, t, "type unknown")}
	}
	switch t.Kind {
	case debuginfo.KindInt, debuginfo.KindEnum, debuginfo.KindUint, debuginfo.KindBool:
		v, err := e.scalar(r)
		if err != nil {
			return []Field{e.missing(name, t, err.Error())}
		}
		if t.Kind == debuginfo.KindBool {
			return []Field{{Name: name, Type: typeName(t), Enc: event.EncBool, Value: Int{X: v, Bool: true}}}
		}
		if rv, applies, ok := e.bpfUint32(r); applies {
			if !ok {
				return []Field{e.runtimeMissing(name, t, errBPFUint32)}
			}
			v = rv
		}
		if t.Kind == debuginfo.KindEnum && len(t.Enumerators) > 0 {
			f := Field{Name: name, Type: typeName(t), Enc: event.EncEnum, Value: Int{X: v, Signed: true}}
			for _, en := range t.Enumerators {
				f.Enums = append(f.Enums, event.Enumerator{Name: en.Name, Value: en.Value})
			}
			return []Field{f}
		}
		signed := signedKind(t.Kind)
		return []Field{{Name: name, Type: typeName(t), Enc: intEnc(signed), Value: Int{X: v, Signed: signed}}}
	case debuginfo.KindPointer:
		if t.Elem != nil && t.Elem.Char {
			return []Field{e.cString(r, name, t)}
		}
		return e.follow(r, name, t, depth)
	case debuginfo.KindFunc, debuginfo.KindChan, debuginfo.KindMap:
		if t.Kind == debuginfo.KindFunc || r.v != nil || e.bpf {
			if t.Kind != debuginfo.KindFunc {
				*e.notes = append(*e.notes, name+": BPF runtime: a map or channel prints as its header's address (its length and entries are read through registers and loops); use --runtime kernel")
			}
			return []Field{e.pointer(r, name, t)}
		}
		// Go map and chan values are pointers to runtime headers.
		if t.Kind == debuginfo.KindMap {
			return e.goMap(r, name, t)
		}
		return e.goChan(r, name, t)
	case debuginfo.KindString:
		return []Field{e.goString(r, name, t)}
	case debuginfo.KindSlice:
		return []Field{e.goSlice(r, name, t)}
	case debuginfo.KindInterface:
		return []Field{e.iface(r, name, t)}
	case debuginfo.KindArray:
		return []Field{e.array(r, name, t)}
	case debuginfo.KindStruct, debuginfo.KindUnion:
		if t.GoName == "time.Time" {
			if f, ok := e.timeValue(r, name, t); ok {
				return []Field{f}
			}
		}
		if depth <= 0 {
			*e.notes = append(*e.notes, fmt.Sprintf("%s: %s not expanded (depth limit); name its members to print them", name, t.Name))
			return nil
		}
		var out []Field
		// Anonymous members' members print in their place, by their names.
		for _, n := range memberNames(t, 0) {
			if n == "_" {
				continue
			}
			m, err := r.member(n)
			if err != nil {
				out = append(out, e.missing(name+"."+n, nil, err.Error()))
				continue
			}
			out = append(out, e.fields(m, name+"."+n, depth-1)...)
			if len(out) >= maxFieldsPerProbe {
				*e.notes = append(*e.notes, fmt.Sprintf("%s: only the first %d members printed", name, maxFieldsPerProbe))
				return out[:maxFieldsPerProbe]
			}
		}
		return out
	case debuginfo.KindFloat, debuginfo.KindComplex:
		return e.float(r, name, t)
	}
	return []Field{e.missing(name, t, fmt.Sprintf("type %s (%s) is not supported", t.Name, t.Kind))}
}

func (e *emitter) pointer(r ref, name string, t *debuginfo.Type) Field {
	v, err := e.scalar(r)
	if err != nil {
		return e.missing(name, t, err.Error())
	}
	return Field{Name: name, Type: typeName(t), Enc: event.EncPtr, Value: Ptr{X: v}}
}

// cString prints a NUL-terminated C string, bounded.
func (e *emitter) cString(r ref, name string, t *debuginfo.Type) Field {
	if e.bpf && r.v != nil && r.v.Entry {
		// stap 4.8 keeps each @entry in its own slot: with the words of a
		// string the handler exceeds BPF's 512-byte stack (seen with one
		// string and an int return).
		return e.runtimeMissing(name, t, "the BPF runtime has no room for a string read from an entry value at a return; print it at the entry, or use --runtime kernel")
	}
	p, err := e.scalar(r)
	if err != nil {
		return e.missing(name, t, err.Error())
	}
	return Field{Name: name, Type: typeName(t), Enc: event.EncStr, Value: e.cStringAt(p, e.limits.StringLen)}
}

func (e *emitter) cStringAt(addr Expr, max int) CString {
	s := CString{Addr: addr, Max: max, Kernel: e.kernel}
	if e.bpf && !e.kernel && e.word != nil {
		s.Word, s.WordModule = e.word()
	}
	return s
}

// goString prints a Go string (or []byte) of known length.
func (e *emitter) goString(r ref, name string, t *debuginfo.Type) Field {
	ptr, err1 := r.member("str")
	n, err2 := r.member("len")
	if err1 != nil || err2 != nil {
		return e.missing(name, t, "string header not found")
	}
	return e.bytesField(ptr, n, name, t)
}

func (e *emitter) bytesField(ptr, n ref, name string, t *debuginfo.Type) Field {
	pv, err := e.scalar(ptr)
	if err != nil {
		return e.missing(name, t, err.Error())
	}
	nv, err := e.scalar(n)
	if err != nil {
		return e.missing(name, t, err.Error())
	}
	b := Bytes{Ptr: pv, Len: nv, Max: e.limits.StringLen}
	if e.bpf && !e.kernel && e.word != nil {
		b.Word, b.WordModule = e.word()
	}
	return Field{Name: name, Type: typeName(t), Enc: event.EncStr, Value: b}
}

func (e *emitter) goSlice(r ref, name string, t *debuginfo.Type) Field {
	arr, err1 := r.member("array")
	n, err2 := r.member("len")
	c, err3 := r.member("cap")
	if err1 != nil || err2 != nil || err3 != nil {
		return e.missing(name, t, "slice header not found")
	}
	elem := t.Elem
	if elem != nil && (elem.Kind == debuginfo.KindUint || elem.Kind == debuginfo.KindInt) && elem.Size == 1 {
		// []byte reads as bytes.
		return e.bytesField(arr, n, name, t)
	}
	if e.bpf && elem != nil && elem.Kind == debuginfo.KindString {
		return e.missing(name, t, "BPF runtime: slices of strings need a handler per element; use --runtime=kernel")
	}
	av, err := e.scalar(arr)
	if err != nil {
		return e.missing(name, t, err.Error())
	}
	nv, _ := e.scalar(n)
	cv, _ := e.scalar(c)
	s := Slice{Array: av, Len: nv, Cap: cv, Max: e.limits.Elems}
	f := Field{Name: name, Type: typeName(t), Enc: event.EncSlice}
	switch {
	case elem == nil:
		return e.missing(name, t, "element type unknown")
	case elem.Kind == debuginfo.KindString:
		f.ElemEnc, s.Elem, s.StrMax = event.EncStr, ElemStr, e.limits.StringLen
	case elem.Kind == debuginfo.KindInt || elem.Kind == debuginfo.KindUint || elem.Kind == debuginfo.KindBool:
		s.Signed = elem.Kind == debuginfo.KindInt
		f.ElemEnc, s.Elem, s.ElemSize = intEnc(s.Signed), ElemInt, sizeOf(elem)
	default:
		// Elements we cannot print inline still show length and capacity.
		f.ElemEnc, s.Elem, s.ElemSize = event.EncPtr, ElemAddr, sizeOf(elem)
	}
	f.Value = s
	return f
}

func (e *emitter) iface(r ref, name string, t *debuginfo.Type) Field {
	ms := t.Members()
	if len(ms) < 2 {
		return e.missing(name, t, "interface header not found")
	}
	tw, err1 := e.scalar(r.field(ms[0]))
	dw, err2 := e.scalar(r.field(ms[1]))
	if err1 != nil || err2 != nil {
		return e.missing(name, t, "interface words not readable")
	}
	if f, ok := e.dyn(r, name, t, tw, dw); ok {
		return f
	}
	return Field{Name: name, Type: typeName(t), Enc: event.EncIface, Value: Iface{Type: tw, Data: dw}}
}

// array prints a fixed-size array as a slice token, unrolled (the length
// is static); char arrays read as strings.
func (e *emitter) array(r ref, name string, t *debuginfo.Type) Field {
	elem := t.Elem
	if elem != nil && elem.Char && r.v != nil {
		n := t.Count
		if n < 0 || n > int64(e.limits.StringLen) {
			n = int64(e.limits.StringLen)
		}
		addr := *r.v
		addr.AddrOf = true
		return Field{Name: name, Type: typeName(t), Enc: event.EncStr, Value: e.cStringAt(addr, int(n))}
	}
	if elem == nil || !(elem.Kind == debuginfo.KindInt || elem.Kind == debuginfo.KindUint || elem.Kind == debuginfo.KindEnum || elem.Kind == debuginfo.KindBool) {
		return e.missing(name, t, "only arrays of integers print inline; name an element (x[0]) to read others")
	}
	a := IntArray{Count: max(t.Count, 0), Signed: signedKind(elem.Kind)}
	for i := int64(0); i < min(a.Count, int64(e.limits.Elems)); i++ {
		er, err := r.index(int(i))
		if err != nil {
			return e.missing(name, t, err.Error())
		}
		v, err := e.scalar(er)
		if err != nil {
			return e.missing(name, t, err.Error())
		}
		a.Elems = append(a.Elems, v)
	}
	return Field{Name: name, Type: typeName(t), Enc: event.EncSlice, ElemEnc: intEnc(a.Signed), Value: a}
}

const errBPFUint32 = "the BPF runtime (stap 4.8) cannot read a 4-byte unsigned value or enum held in a register here; --runtime kernel prints it"

// bpfUint32 says whether r is a value stap 4.8's BPF back end cannot
// read itself (applies), and then what reads it instead (ok: x). stap
// reads a 4-byte unsigned value (unsigned int, most enums) in a register
// as "@uregister(N) & 4294967295", and its BPF back end compiles any
// constant from 2^31 on into a store through the value, which the
// verifier rejects ("R9 invalid mem access"): the whole script would
// fail to load. The register itself, narrowed without such a constant,
// is what stap would read: the parameter's register at the entry (stap
// probes an optimized function there, where DWARF has it in a register)
// or rax for the return value.
func (e *emitter) bpfUint32(r ref) (x Expr, applies, ok bool) {
	t := r.typ
	if !e.bpf || !r.reg || t == nil || sizeOf(t) != 4 || t.Kind != debuginfo.KindEnum && t.Kind != debuginfo.KindUint {
		return nil, false, false
	}
	x, ok = bpfReg32(r)
	return x, true, ok
}

// bpfReg32 is the low 4 bytes of the register holding r: a C parameter
// read at the entry (or as its entry value at a return), or the return
// value at the return.
func bpfReg32(r ref) (Expr, bool) {
	switch {
	case r.v == nil || len(r.v.Steps) > 0 || r.v.AddrOf || r.v.Of != nil:
		return nil, false
	case r.v.Name == ReturnRoot:
		return Narrow{X: UReg{Num: 0}, Size: 4}, true
	case r.regNum > 0:
		return Narrow{X: UReg{Num: r.regNum - 1, Entry: r.v.Entry}, Size: 4}, true
	}
	return nil, false
}
