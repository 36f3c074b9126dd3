package plan

import (
	"fmt"
	"strings"

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
}

func (e *emitter) fmtInt(signed bool) string {
	switch {
	case e.bpf && signed:
		return "%ld"
	case e.bpf:
		return "%lu"
	case signed:
		return "%d"
	}
	return "%u"
}

// scalar is the stap expression of a scalar value.
func (e *emitter) scalar(r ref) (string, error) {
	if r.stap != "" {
		return r.stap, nil
	}
	return r.word(0, sizeOf(r.typ), r.typ.Kind == debuginfo.KindInt || r.typ.Kind == debuginfo.KindEnum)
}

// guard makes a field's print statement safe: a fault prints "!".
func (e *emitter) guard(stmt string) string {
	if e.bpf {
		// The BPF runtime has no try/catch; a failed read yields 0.
		return stmt
	}
	return "try { " + stmt + " } catch { print(\" !\") }"
}

func (e *emitter) missing(name string, t *debuginfo.Type, why string) Field {
	*e.notes = append(*e.notes, fmt.Sprintf("%s: %s", name, why))
	return Field{Name: name, Type: typeName(t), Enc: event.EncInt, Print: `print(" !")`}
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

// fields returns the printed fields for value r named name, expanding
// structs up to depth levels.
func (e *emitter) fields(r ref, name string, depth int) []Field {
	t := r.typ
	if t == nil {
		return []Field{e.missing(name, t, "type unknown")}
	}
	switch t.Kind {
	case debuginfo.KindInt, debuginfo.KindEnum, debuginfo.KindUint, debuginfo.KindBool:
		v, err := e.scalar(r)
		if err != nil {
			return []Field{e.missing(name, t, err.Error())}
		}
		signed := t.Kind == debuginfo.KindInt || t.Kind == debuginfo.KindEnum
		enc := event.EncUint
		if signed {
			enc = event.EncInt
		}
		if t.Kind == debuginfo.KindBool {
			enc = event.EncBool
			v = fmt.Sprintf("(%s) != 0", v)
			return []Field{{Name: name, Type: typeName(t), Enc: enc, Print: e.guard(fmt.Sprintf(`printf(" %%d", %s)`, v))}}
		}
		return []Field{{Name: name, Type: typeName(t), Enc: enc, Print: e.guard(fmt.Sprintf(`printf(" %s", %s)`, e.fmtInt(signed), v))}}
	case debuginfo.KindPointer:
		if t.Elem != nil && t.Elem.Char {
			return []Field{e.cString(r, name, t)}
		}
		return []Field{e.pointer(r, name, t)}
	case debuginfo.KindFunc, debuginfo.KindChan, debuginfo.KindMap:
		if t.Kind == debuginfo.KindFunc || r.stap != "" {
			return []Field{e.pointer(r, name, t)}
		}
		// Go map and chan values are pointers to runtime headers whose first
		// word is the element count (hmap.count, swiss map used, hchan.qcount).
		p, err := e.scalar(r)
		if err != nil {
			return []Field{e.missing(name, t, err.Error())}
		}
		n := fmt.Sprintf("len(%s)", name)
		return []Field{{Name: n, Type: "int", Enc: event.EncInt, Print: e.guard(fmt.Sprintf(`__sg_p = %s; printf(" %%d", (__sg_p != 0) ? user_int64(__sg_p) : 0)`, p))}}
	case debuginfo.KindString:
		return []Field{e.goString(r, name, t)}
	case debuginfo.KindSlice:
		return []Field{e.goSlice(r, name, t)}
	case debuginfo.KindInterface:
		return []Field{e.iface(r, name, t)}
	case debuginfo.KindArray:
		return []Field{e.array(r, name, t)}
	case debuginfo.KindStruct, debuginfo.KindUnion:
		if depth <= 0 {
			*e.notes = append(*e.notes, fmt.Sprintf("%s: %s not expanded (depth limit); name its members to print them", name, t.Name))
			return nil
		}
		var out []Field
		for _, f := range t.Members() {
			if f.Name == "" || f.Name == "_" {
				continue
			}
			out = append(out, e.fields(r.field(f), name+"."+f.Name, depth-1)...)
			if len(out) >= maxFieldsPerProbe {
				*e.notes = append(*e.notes, fmt.Sprintf("%s: only the first %d members printed", name, maxFieldsPerProbe))
				return out[:maxFieldsPerProbe]
			}
		}
		return out
	case debuginfo.KindFloat, debuginfo.KindComplex:
		return []Field{e.missing(name, t, "floating-point values are not readable by stap")}
	}
	return []Field{e.missing(name, t, fmt.Sprintf("type %s (%s) is not supported", t.Name, t.Kind))}
}

func (e *emitter) pointer(r ref, name string, t *debuginfo.Type) Field {
	v, err := e.scalar(r)
	if err != nil {
		return e.missing(name, t, err.Error())
	}
	f := "0x%x"
	if e.bpf {
		f = "0x%lx"
	}
	return Field{Name: name, Type: typeName(t), Enc: event.EncPtr, Print: e.guard(fmt.Sprintf(`printf(" %s", %s)`, f, v))}
}

// cString prints a NUL-terminated C string, bounded.
func (e *emitter) cString(r ref, name string, t *debuginfo.Type) Field {
	p, err := e.scalar(r)
	if err != nil {
		return e.missing(name, t, err.Error())
	}
	return e.cStringAt(p, name, typeName(t))
}

func (e *emitter) cStringAt(addr, name, typ string) Field {
	f := Field{Name: name, Type: typ, Enc: event.EncStr}
	if e.bpf {
		// A faulting read ends the whole BPF run ("user copy fault"), so a
		// NULL pointer must never reach the word reads.
		// (The address is repeated, not put in a local: a local pushes
		// the handler past the 512-byte BPF stack.)
		f.Print = fmt.Sprintf("if (%s == 0) printf(\" !\") else {\nprintf(\" ?:w\")\n%s\n}", addr, e.bpfWords(addr, "", e.limits.StringLen))
		return f
	}
	helper := "__sg_ucstr"
	if e.kernel {
		helper = "__sg_kcstr"
	}
	f.Print = e.guard(fmt.Sprintf("%s(%s, %d)", helper, addr, e.limits.StringLen))
	return f
}

// bpfWords prints up to max bytes at addr as little-endian 64-bit words;
// the BPF runtime has no loops, so the reads are unrolled, each guarded by
// the length when it is known. Unguarded words share a print, four at a
// time: fewer prints keep the handler inside BPF's 512-byte stack.
func (e *emitter) bpfWords(addr, length string, max int) string {
	var b strings.Builder
	var group []string
	flush := func() {
		if len(group) > 0 {
			fmt.Fprintf(&b, "printf(\"%s\", %s)\n", strings.Repeat("%016lx", len(group)), strings.Join(group, ", "))
			group = group[:0]
		}
	}
	for i := 0; i*8 < max && i < 8; i++ {
		a := addr
		if i > 0 {
			a = fmt.Sprintf("%s + %d", addr, i*8)
		}
		read := fmt.Sprintf("user_uint64(%s)", a)
		if length == "" {
			if group = append(group, read); len(group) == 4 {
				flush()
			}
			continue
		}
		fmt.Fprintf(&b, "if (%s > %d) printf(\"%%016lx\", %s)\n", length, i*8, read)
	}
	flush()
	return strings.TrimRight(b.String(), "\n")
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
	f := Field{Name: name, Type: typeName(t), Enc: event.EncStr}
	if e.bpf {
		f.Print = fmt.Sprintf("__sg_n = %s; __sg_p = %s\nprintf(\" %%ld:w\", __sg_n)\n%s", nv, pv, e.bpfWords("__sg_p", "__sg_n", e.limits.StringLen))
		return f
	}
	f.Print = e.guard(fmt.Sprintf("__sg_gstr(%s, %s, %d)", pv, nv, e.limits.StringLen))
	return f
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
	if e.bpf {
		return e.missing(name, t, "slices other than []byte need loops, which the BPF runtime lacks; use --runtime=kernel")
	}
	av, err := e.scalar(arr)
	if err != nil {
		return e.missing(name, t, err.Error())
	}
	nv, _ := e.scalar(n)
	cv, _ := e.scalar(c)
	f := Field{Name: name, Type: typeName(t), Enc: event.EncSlice}
	switch {
	case elem == nil:
		return e.missing(name, t, "element type unknown")
	case elem.Kind == debuginfo.KindString:
		f.ElemEnc = event.EncStr
		f.Print = e.guard(fmt.Sprintf("__sg_gslice_str(%s, %s, %s, %d, %d)", av, nv, cv, e.limits.Elems, e.limits.StringLen))
	case elem.Kind == debuginfo.KindInt || elem.Kind == debuginfo.KindUint || elem.Kind == debuginfo.KindBool:
		f.ElemEnc = event.EncInt
		signed := 0
		if elem.Kind == debuginfo.KindInt {
			signed = 1
		} else {
			f.ElemEnc = event.EncUint
		}
		f.Print = e.guard(fmt.Sprintf("__sg_gslice_int(%s, %s, %s, %d, %d, %d)", av, nv, cv, sizeOf(elem), signed, e.limits.Elems))
	default:
		// Elements we cannot print inline still show length and capacity.
		f.ElemEnc = event.EncPtr
		f.Print = e.guard(fmt.Sprintf("__sg_gslice_addr(%s, %s, %s, %d, %d)", av, nv, cv, sizeOf(elem), e.limits.Elems))
	}
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
	f := "0x%x/0x%x"
	if e.bpf {
		f = "0x%lx/0x%lx"
	}
	return Field{Name: name, Type: typeName(t), Enc: event.EncIface, Print: e.guard(fmt.Sprintf(`printf(" %s", %s, %s)`, f, tw, dw))}
}

// array prints a fixed-size array as a slice token, unrolled (the length
// is static); char arrays read as strings.
func (e *emitter) array(r ref, name string, t *debuginfo.Type) Field {
	elem := t.Elem
	if elem != nil && elem.Char && r.stap != "" {
		n := t.Count
		if n < 0 || n > int64(e.limits.StringLen) {
			n = int64(e.limits.StringLen)
		}
		l := e.limits
		l.StringLen = int(n)
		sub := *e
		sub.limits = l
		return sub.cStringAt("&"+r.stap, name, typeName(t))
	}
	if elem == nil || !(elem.Kind == debuginfo.KindInt || elem.Kind == debuginfo.KindUint || elem.Kind == debuginfo.KindEnum || elem.Kind == debuginfo.KindBool) {
		return e.missing(name, t, "only arrays of integers print inline; name an element (x[0]) to read others")
	}
	count := t.Count
	if count < 0 {
		count = 0
	}
	m := count
	if m > int64(e.limits.Elems) {
		m = int64(e.limits.Elems)
	}
	signed := elem.Kind == debuginfo.KindInt || elem.Kind == debuginfo.KindEnum
	enc := event.EncUint
	if signed {
		enc = event.EncInt
	}
	var b strings.Builder
	fmt.Fprintf(&b, `printf(" %d/%d:")`, count, count)
	for i := int64(0); i < m; i++ {
		er, err := r.index(int(i))
		if err != nil {
			return e.missing(name, t, err.Error())
		}
		v, err := e.scalar(er)
		if err != nil {
			return e.missing(name, t, err.Error())
		}
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(&b, `; printf("%s%s", %s)`, sep, e.fmtInt(signed), v)
	}
	return Field{Name: name, Type: typeName(t), Enc: event.EncSlice, ElemEnc: enc, Print: e.guard(b.String())}
}
