package plan

import (
	"fmt"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/goruntime"
)

// GoTypeFacts is what GoFacts may also know: the binary's runtime type
// descriptors, which name an interface's dynamic type and say how to read
// its value, DWARF or not.
type GoTypeFacts interface {
	GoTypes() (*GoTypes, error)
}

// GoTypes are the runtime type facts a script uses, at link-time
// addresses.
type GoTypes struct {
	// Base is moduledata.types: a descriptor's name is at Base+Str.
	Base uint64
	// PIE: the addresses move with the load address; a script learns
	// the bias from a probe point's address (Dyn.Bias).
	PIE bool
	// Known are the concrete types whose values the script reads by
	// layout, at their descriptors' addresses.
	Known []KnownType
}

// KnownType is a layout found in the binary.
type KnownType struct {
	goruntime.Layout
	Addr uint64
}

// DynDepth bounds how far an interface held in an interface (a wrapped
// error's chain) is followed.
const DynDepth = 4

// Dyn prints a Go interface value by its dynamic type: the type's name from
// its descriptor, then the value as the type's kind or known layout says,
// nested interfaces to Depth. The plan's GoTypes says where the types are.
type Dyn struct {
	Type, Data Expr
	// ITab: the type word is an itab (a non-empty interface such as error).
	ITab   bool
	Depth  int
	StrMax int
	// Bias: the addresses are a PIE's, moved by the load bias the
	// handler computes (ProbeView.Bias).
	Bias bool
}

// DynWords prints a Go interface as the BPF runtime can read it, which
// cannot follow a descriptor to its name: the dynamic type's descriptor
// (an itab's second word for a non-empty interface), the data word, and
// the word the data word points at (a small value's, as syscall.Errno's).
// The decoder names the type from the binary (event.EncDynWords).
type DynWords struct {
	Type, Data, Word Expr
	// Bias: a PIE's load bias goes in the record too, computed by the
	// handler as for Dyn.
	Bias bool
}

// Float prints a floating-point value of Size bytes (4 or 8) from its bits.
type Float struct {
	X Expr
	// Size is 4 or 8 for a float read from memory as its bits; 0 for a
	// value stap evaluated ($var, $return), a double's bits.
	Size int64
}

// Time prints a time.Time from its three words (wall, ext, loc).
type Time struct{ Wall, Ext, Loc Expr }

func (Dyn) isValue()      {}
func (DynWords) isValue() {}
func (Float) isValue()    {}
func (Time) isValue()     {}

// timeValue prints a time.Time value (its words' layout is the decoder's
// rule, event/gotext.go).
func (e *emitter) timeValue(r ref, name string, t *debuginfo.Type) (Field, bool) {
	if r.v != nil || t.Size != 24 {
		return Field{}, false
	}
	var ws [3]Expr
	for i := range ws {
		w, err := r.word(int64(i)*8, 8, false)
		if err != nil {
			return Field{}, false
		}
		ws[i] = w
	}
	return Field{Name: name, Type: typeName(t), Enc: event.EncTime, Value: Time{Wall: ws[0], Ext: ws[1], Loc: ws[2]}}, true
}

// goTypes are the plan's runtime type facts, looked up once; nil when the
// binary has none the script can use.
func (e *emitter) goTypes() *GoTypes {
	if e.types == nil {
		return nil
	}
	return e.types()
}

// dyn prints interface r by its dynamic type where the runtime's type
// facts allow, else its two words.
func (e *emitter) dyn(r ref, name string, t *debuginfo.Type, tw, dw Expr) (Field, bool) {
	if e.goTypes() == nil {
		return Field{}, false
	}
	if e.bpf {
		return e.dynWords(name, t, tw, dw)
	}
	return Field{Name: name, Type: typeName(t), Enc: event.EncDyn,
		Value: Dyn{Type: tw, Data: dw, ITab: !t.EmptyInterface, Depth: DynDepth, StrMax: e.limits.StringLen, Bias: e.goTypes().PIE}}, true
}

// dynWords is dyn on the BPF runtime: the words the decoder names the
// dynamic type and reads a small value from, read through the binary's
// 8-byte type (a fault, as a nil interface's, reads 0).
func (e *emitter) dynWords(name string, t *debuginfo.Type, tw, dw Expr) (Field, bool) {
	w := e.bpfWords()
	if w == nil {
		*e.notes = append(*e.notes, name+": BPF runtime: an interface prints as its type and data words (its dynamic type is read through an 8-byte integer type of the binary's DWARF, and it has none); use --runtime kernel")
		return Field{}, false
	}
	typ := tw
	if !t.EmptyInterface {
		var err error
		if typ, err = w.read(tw, goruntime.ITabTypeOff, 8, false); err != nil {
			return Field{}, false
		}
	}
	word, err := w.read(dw, 0, 8, false)
	if err != nil {
		return Field{}, false
	}
	return Field{Name: name, Type: typeName(t), Enc: event.EncDynWords,
		Value: DynWords{Type: typ, Data: dw, Word: word, Bias: e.goTypes().PIE}}, true
}

// float prints a float or complex number read from memory or the stack;
// one in an XMM register says why it cannot be read.
func (e *emitter) float(r ref, name string, t *debuginfo.Type) []Field {
	size := sizeOf(t)
	if t.Kind == debuginfo.KindComplex {
		size /= 2
	}
	if size != 4 && size != 8 {
		return []Field{e.missing(name, t, fmt.Sprintf("a %d-byte float is not supported", size))}
	}
	if r.v != nil && t.Kind == debuginfo.KindFloat {
		if e.bpf {
			// stap 4.8's BPF back end rejects xmm registers ("unhandled
			// register number") and reads a double on the stack as 0.
			return []Field{e.runtimeMissing(name, t, "the BPF runtime cannot read floating-point values; --runtime kernel prints them")}
		}
		// A C $var or $return: stap gives a double's bits, a float
		// widened first (seen in the lab VM for registers and memory).
		return []Field{{Name: name, Type: typeName(t), Enc: event.EncFloat, Value: Float{X: *r.v, Size: 8}}}
	}
	if r.v != nil {
		// stap evaluates a floating-point $var or $return as a double's
		// bits (a float widened), with the kernel runtime only.
		if t.Kind == debuginfo.KindComplex {
			return []Field{e.missing(name, t, "complex values are not readable by stap")}
		}
		if e.bpf {
			// stap 4.8's BPF back end rejects xmm registers ("unhandled
			// register number") and reads a double on the stack as 0.
			return []Field{e.runtimeMissing(name, t, "the BPF runtime cannot read floating-point values; --runtime kernel prints them")}
		}
		return []Field{{Name: name, Type: typeName(t), Enc: event.EncFloat, Value: Float{X: *r.v}}}
	}
	parts := []string{name}
	if t.Kind == debuginfo.KindComplex {
		parts = []string{"real(" + name + ")", "imag(" + name + ")"}
	}
	var out []Field
	for i, pn := range parts {
		x, err := r.word(int64(i)*size, size, false)
		if err != nil {
			return []Field{e.missing(name, t, err.Error())}
		}
		ty := fmt.Sprintf("float%d", size*8)
		if len(parts) == 1 {
			ty = typeName(t)
		}
		out = append(out, Field{Name: pn, Type: ty, Enc: event.EncFloat, Value: Float{X: x, Size: size}})
	}
	return out
}

// typeFacts returns the lookup of the binary's runtime type facts, done on
// first use and recorded in the plan (the script's helpers read them);
// a binary without them prints interfaces as their two words, with a note
// saying why.
func typeFacts(g GoFacts, p *Plan) func() *GoTypes {
	done := false
	return func() *GoTypes {
		if done {
			return p.GoTypes
		}
		done = true
		tf, ok := g.(GoTypeFacts)
		if !ok {
			return nil
		}
		ts, err := tf.GoTypes()
		if err != nil {
			p.Notes = append(p.Notes, fmt.Sprintf("interfaces print as their type and data words: %v", err))
			return nil
		}
		p.GoTypes = ts
		return ts
	}
}

// follow prints a pointer and, for a Go pointer to a struct with --depth
// above 1, the members it points at (name.Member), each level of pointers
// costing one level of depth; nil prints its members as "!".
func (e *emitter) follow(r ref, name string, t *debuginfo.Type, depth int) []Field {
	f := e.pointer(r, name, t)
	if e.bpf || depth <= 1 || t.GoName == "" || t.Elem == nil || t.Elem.Kind != debuginfo.KindStruct || r.v != nil {
		return []Field{f}
	}
	d, err := r.deref()
	if err != nil {
		return []Field{f}
	}
	return append([]Field{f}, e.fields(d, name, depth-1)...)
}
