package dwtype

import (
	"debug/dwarf"
	"fmt"
	"sync"

	"github.com/stapgen/stapgen/internal/debuginfo/raw"
)

// maxTypeDepth bounds recursion through pointer-free nesting (arrays of
// structs of arrays ...). Cycles go through the cache and never recurse
// twice into one DIE.
const maxTypeDepth = 4096

// Reader converts the type DIEs of one debug/dwarf reader into the model. It reads DIEs with
// stdlib debug/dwarf directly rather than through godwarf or dwarf.Type:
// godwarf drops DW_AT_data_bit_offset (every GCC bitfield), and
// dwarf.Type hides the DIE offset needed to read Go's DW_AT_go_* attributes.
// Conversions are cached per offset; cycles (struct list_head) are closed
// through the cache. They are eager except for C struct members.
type Reader struct {
	d     *dwarf.Data
	ptrSz int64
	cache map[dwarf.Offset]*Type
	// aliases are typedefs and qualifiers whose target may still be under
	// construction when they are created; they are filled in by finish.
	aliases map[*Type]aliasOf
	// namers compute derived spellings (pointer, qualifier, array,
	// subroutine) once the whole graph exists, so a cycle back into a type
	// under construction never sees an empty name.
	namers map[*Type]func()
	// byKey shares one model of a named C struct, union or enum between
	// compilation units: GCC repeats struct task_struct in every unit of a
	// kernel, and converting each copy of its graph costs gigabytes.
	byKey Shared
	// mu is the Index's lock and use runs a read while the file stays
	// mapped (an error once it is closed): C struct members are read
	// later, on first use (lazyMembers).
	mu  *sync.Mutex
	use func(func()) error
}

// Shared holds the models of named C aggregates that every Reader of one
// file shares (see Reader.byKey).
type Shared map[string]*Type

type aliasOf struct {
	target *Type
	goName string
}

// NewReader returns a Reader over d. Every Reader of a file shares mu
// (which serialises its DWARF reads) and shared; use pins the file's
// mapping for the reads done after conversion (C struct members).
func NewReader(d *dwarf.Data, ptrSz int, shared Shared, mu *sync.Mutex, use func(func()) error) *Reader {
	return &Reader{d: d, ptrSz: int64(ptrSz), cache: map[dwarf.Offset]*Type{}, aliases: map[*Type]aliasOf{},
		namers: map[*Type]func(){}, byKey: shared, mu: mu, use: use}
}

// Void is the type of a value whose DIE names none (void, unsafe.Pointer):
// a new one each time, so no caller can change another's.
func Void() *Type { return &Type{Kind: KindVoid, Name: "void", GoName: "unsafe.Pointer"} }

// TypeAt returns the model type of the DIE at off (an offset of the
// Reader's debug/dwarf data), with every alias it created completed.
func (tr *Reader) TypeAt(off dwarf.Offset, lang Lang) (t *Type, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("type at %#x: corrupt DWARF: %v", off, r)
		}
	}()
	t, err = tr.convert(off, lang, 0)
	if err != nil {
		return nil, err
	}
	tr.settle()
	return t, nil
}

// settle runs the pending namers and completes the pending aliases, once
// a conversion has built every type it reaches.
func (tr *Reader) settle() {
	for x := range tr.namers {
		tr.name(x)
	}
	for a := range tr.aliases {
		tr.finish(a)
	}
}

// lazyFields defers the members of the C struct or union at off to their
// first use (see lazyMembers for why). A corrupt or closed file gives no
// members rather than a crash.
func (tr *Reader) lazyFields(off dwarf.Offset, lang Lang) *lazyMembers {
	return &lazyMembers{mu: tr.mu, read: func() (out []Field) {
		tr.use(func() {
			defer func() {
				if recover() != nil {
					out = nil
				}
			}()
			e, r, err := tr.entry(off)
			if err != nil {
				return
			}
			var t Type
			if err := tr.fields(&t, e, r, lang, 0); err != nil {
				return
			}
			tr.settle()
			out = t.Fields
		})
		return out
	}}
}

// name runs the pending namer of t, after those it depends on.
func (tr *Reader) name(t *Type) {
	if f, ok := tr.namers[t]; ok {
		delete(tr.namers, t)
		f()
	}
}

// finish copies an alias's target into it, keeping the alias's own names.
func (tr *Reader) finish(a *Type) {
	al, ok := tr.aliases[a]
	if !ok {
		return
	}
	delete(tr.aliases, a)
	tr.finish(al.target)
	name, goName := a.Name, a.GoName
	*a = *al.target
	a.Name, a.GoName = name, goName
}

func (tr *Reader) entry(off dwarf.Offset) (*dwarf.Entry, *dwarf.Reader, error) {
	r := tr.d.Reader()
	r.Seek(off)
	e, err := r.Next()
	if err != nil {
		return nil, nil, err
	}
	if e == nil {
		return nil, nil, fmt.Errorf("no DIE at %#x", off)
	}
	return e, r, nil
}

func (tr *Reader) convert(off dwarf.Offset, lang Lang, depth int) (*Type, error) {
	if t, ok := tr.cache[off]; ok {
		return t, nil
	}
	if depth > maxTypeDepth {
		return &Type{Kind: KindUnsupported, Name: "?"}, nil
	}
	e, r, err := tr.entry(off)
	if err != nil {
		return nil, err
	}
	name, _ := e.Val(dwarf.AttrName).(string)
	size, _ := e.Val(dwarf.AttrByteSize).(int64)
	key, shared := tr.sharedKey(e, name, size, lang)
	if shared {
		if t, ok := tr.byKey[key]; ok {
			tr.cache[off] = t
			return t, nil
		}
	}
	t := &Type{}
	tr.cache[off] = t
	if shared {
		tr.byKey[key] = t
	}
	t.Size = size
	sub := func() (*Type, error) {
		o, ok := e.Val(dwarf.AttrType).(dwarf.Offset)
		if !ok {
			return Void(), nil
		}
		return tr.convert(o, lang, depth+1)
	}
	goRef := func(a dwarf.Attr) *Type {
		o, ok := e.Val(a).(dwarf.Offset)
		if !ok {
			return nil
		}
		x, err := tr.convert(o, lang, depth+1)
		if err != nil {
			return nil
		}
		return x
	}
	goKind, _ := e.Val(attrGoKind).(int64)

	switch e.Tag {
	case dwarf.TagBaseType:
		t.Name, t.GoName = name, goNameIf(lang, name)
		enc, _ := e.Val(dwarf.AttrEncoding).(int64)
		t.Kind, t.Char = baseKind(enc, lang)
	case dwarf.TagUnspecifiedType:
		t.Kind, t.Name = KindVoid, orDefault(name, "void")
	case dwarf.TagPointerType:
		elem, err := sub()
		if err != nil {
			return nil, err
		}
		t.Kind, t.Elem, t.Size = KindPointer, elem, tr.ptrSz
		if e2, ok := e.Val(dwarf.AttrType).(dwarf.Offset); ok && tr.isSubroutine(e2) && lang == LangC {
			// stap spells a C function pointer "int (*) (void*)": the
			// subroutine type already carries the (*).
			t.Kind, t.Elem = KindFunc, nil
		}
		tr.namers[t] = func() {
			tr.name(elem)
			switch {
			case t.Kind == KindFunc:
				t.Name = elem.Name
			case elem.Name == "struct __va_list_tag" && lang == LangC:
				// A va_list parameter decays to a pointer to the
				// x86-64 ABI's __va_list_tag; stap calls it va_list.
				t.Name = "va_list"
			default:
				t.Name = elem.Name + "*"
			}
			if lang == LangGo {
				t.GoName = "*" + elem.GoName
			}
		}
	case dwarf.TagReferenceType, dwarf.TagRvalueReferenceType:
		// A C++ reference is read as the pointer it is compiled to: stap
		// gives its address for $it and follows it for $it->member.
		elem, err := sub()
		if err != nil {
			return nil, err
		}
		t.Kind, t.Elem, t.Size = KindPointer, elem, tr.ptrSz
		amp := "&"
		if e.Tag == dwarf.TagRvalueReferenceType {
			amp = "&&"
		}
		tr.namers[t] = func() {
			tr.name(elem)
			t.Name = elem.Name + amp
		}
	case dwarf.TagConstType, dwarf.TagVolatileType, dwarf.TagRestrictType, dwarf.TagAtomicType:
		inner, err := sub()
		if err != nil {
			return nil, err
		}
		suffix := map[dwarf.Tag]string{dwarf.TagConstType: " const", dwarf.TagVolatileType: " volatile",
			dwarf.TagRestrictType: " restrict", dwarf.TagAtomicType: " _Atomic"}[e.Tag]
		tr.namers[t] = func() {
			tr.name(inner)
			t.Name, t.GoName = inner.Name+suffix, inner.GoName
		}
		tr.aliases[t] = aliasOf{target: inner}
	case dwarf.TagTypedef:
		t.Name, t.GoName = name, goNameIf(lang, name)
		inner, err := sub()
		if err != nil {
			return nil, err
		}
		if goKind != 0 && inner.Kind != KindVoid {
			// Go map/chan/interface/func typedefs: the kind lives on the
			// typedef, the target is the runtime representation.
			tr.aliases[t] = aliasOf{target: inner}
			tr.finish(t)
			tr.applyGoKind(t, goKind, goRef)
			if goKind == goKindMap || goKind == goKindChan || goKind == goKindFunc {
				t.Size = tr.ptrSz
			}
			break
		}
		tr.aliases[t] = aliasOf{target: inner}
	case dwarf.TagStructType, dwarf.TagUnionType, dwarf.TagClassType:
		t.Kind = KindStruct
		kw := "struct "
		switch e.Tag {
		case dwarf.TagUnionType:
			t.Kind, kw = KindUnion, "union "
		case dwarf.TagClassType:
			kw = "class " // stap -L: "class Cart* const"
		}
		t.Name = kw + orDefault(name, "{...}")
		t.GoName = goNameIf(lang, name)
		if lang == LangC {
			// Go structs stay eager: the register ABI assigns every
			// parameter by its members.
			t.lazy = tr.lazyFields(off, lang)
			break
		}
		if err := tr.fields(t, e, r, lang, depth); err != nil {
			return nil, err
		}
		if goKind != 0 {
			tr.applyGoKind(t, goKind, goRef)
		}
	case dwarf.TagEnumerationType:
		t.Kind, t.Name = KindEnum, "enum "+orDefault(name, "{...}")
		raw.Children(r, e, func(c *dwarf.Entry) {
			if c.Tag == dwarf.TagEnumerator {
				n, _ := c.Val(dwarf.AttrName).(string)
				v, _ := c.Val(dwarf.AttrConstValue).(int64)
				t.Enumerators = append(t.Enumerators, Enumerator{Name: n, Value: v})
			}
		})
	case dwarf.TagArrayType:
		counts := tr.subranges(e, r)
		elem, err := sub()
		if err != nil {
			return nil, err
		}
		// int a[2][3] is one DIE with two subranges: build inside out.
		cur := elem
		for i := len(counts) - 1; i >= 1; i-- {
			cur = arrayOf(cur, counts[i])
		}
		c := int64(-1)
		if len(counts) > 0 {
			c = counts[0]
		}
		*t = *arrayOf(cur, c)
		if size > 0 {
			t.Size = size
		}
		tr.namers[t] = func() { tr.nameArray(t, lang) }
	case dwarf.TagSubroutineType:
		t.Kind, t.Size = KindFunc, tr.ptrSz
		tr.funcSpelling(t, e, r, lang, depth)
		t.GoName = goNameIf(lang, name)
	default:
		t.Kind, t.Name = KindUnsupported, orDefault(name, e.Tag.String())
	}
	return t, nil
}

// sharedKey identifies a named C aggregate across units by what its
// definition says: tag, name, size and declaration line and column.
// Declarations (no size) and Go types (one unit holds them) are not shared.
func (tr *Reader) sharedKey(e *dwarf.Entry, name string, size int64, lang Lang) (string, bool) {
	if lang != LangC || name == "" || size == 0 {
		return "", false
	}
	switch e.Tag {
	case dwarf.TagStructType, dwarf.TagUnionType, dwarf.TagEnumerationType, dwarf.TagClassType:
	default:
		return "", false
	}
	line, _ := e.Val(dwarf.AttrDeclLine).(int64)
	col, _ := e.Val(dwarf.AttrDeclColumn).(int64)
	return fmt.Sprintf("%d|%s|%d|%d|%d", e.Tag, name, size, line, col), true
}

func (tr *Reader) isSubroutine(off dwarf.Offset) bool {
	e, _, err := tr.entry(off)
	return err == nil && e.Tag == dwarf.TagSubroutineType
}
