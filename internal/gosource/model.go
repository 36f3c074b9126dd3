package gosource

import (
	"strconv"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
)

// The constructors below build debuginfo.Type values the way debuginfo
// builds them from Go's DWARF (see internal/debuginfo/types.go): the same
// Kind, Size, Name (stap's spelling) and GoName, and the same members for
// the runtime headers of strings, slices and interfaces, so goabi.Assign
// and the planner cannot tell a type from source from one from DWARF.

const ptrSize = 8

// rt names the runtime types an interface header points to; they changed
// with the toolchain (see runtimeNames).
type rt struct {
	itab, etype string
}

// runtimeNames returns the names Go's DWARF gives the pointees of an
// interface's first word. Go 1.21 made runtime._type an alias of
// internal/abi.Type and Go 1.22 runtime.itab one of internal/abi.ITab.
func runtimeNames(goVersion string) rt {
	minor := goMinor(goVersion)
	r := rt{itab: "runtime.itab", etype: "runtime._type"}
	if minor >= 21 || minor < 0 {
		r.etype = "internal/abi.Type"
	}
	if minor >= 22 || minor < 0 {
		r.itab = "internal/abi.ITab"
	}
	return r
}

// goMinor returns 19 for "go1.19.8", -1 when the version is not go1.N.
func goMinor(v string) int {
	v = strings.TrimPrefix(v, "go")
	if !strings.HasPrefix(v, "1.") {
		return -1
	}
	v = v[2:]
	if i := strings.IndexAny(v, ".rcbeta "); i >= 0 {
		v = v[:i]
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}

var (
	voidT  = &debuginfo.Type{Kind: debuginfo.KindVoid, Name: "void", GoName: "unsafe.Pointer"}
	uint8T = basic(debuginfo.KindUint, "uint8", 1)
	intT   = basic(debuginfo.KindInt, "int", 8)
)

func basic(k debuginfo.Kind, name string, size int64) *debuginfo.Type {
	return &debuginfo.Type{Kind: k, Name: name, GoName: name, Size: size}
}

// basics are Go's predeclared types, byte and rune spelled as DWARF does.
var basics = map[string]*debuginfo.Type{
	"bool": basic(debuginfo.KindBool, "bool", 1),
	"int":  intT, "int8": basic(debuginfo.KindInt, "int8", 1), "int16": basic(debuginfo.KindInt, "int16", 2),
	"int32": basic(debuginfo.KindInt, "int32", 4), "int64": basic(debuginfo.KindInt, "int64", 8),
	"uint": basic(debuginfo.KindUint, "uint", 8), "uint8": uint8T, "uint16": basic(debuginfo.KindUint, "uint16", 2),
	"uint32": basic(debuginfo.KindUint, "uint32", 4), "uint64": basic(debuginfo.KindUint, "uint64", 8),
	"uintptr": basic(debuginfo.KindUint, "uintptr", 8),
	"byte":    uint8T, "rune": basic(debuginfo.KindInt, "int32", 4),
	"float32": basic(debuginfo.KindFloat, "float32", 4), "float64": basic(debuginfo.KindFloat, "float64", 8),
	"complex64":  basic(debuginfo.KindComplex, "complex64", 8),
	"complex128": basic(debuginfo.KindComplex, "complex128", 16),
}

// pointerTo is *elem. unsafe.Pointer is a pointer to void, which
// debuginfo spells "void*" / "*unsafe.Pointer".
func pointerTo(elem *debuginfo.Type) *debuginfo.Type {
	return &debuginfo.Type{Kind: debuginfo.KindPointer, Name: elem.Name + "*", GoName: "*" + elem.GoName, Size: ptrSize, Elem: elem}
}

func unsafePointer() *debuginfo.Type { return pointerTo(voidT) }

// spell is a type's Go spelling inside a composite type's name. It is
// GoName except for unsafe.Pointer, whose GoName follows debuginfo's
// pointer rule ("*unsafe.Pointer") while Go's DWARF names composites of
// it "[]unsafe.Pointer". Arrays are the exception: debuginfo spells them
// from their element's GoName ("[9]*unsafe.Pointer").
func spell(t *debuginfo.Type) string {
	if t.Kind == debuginfo.KindPointer && t.Elem == voidT {
		return "unsafe.Pointer"
	}
	return t.GoName
}

func stringT() *debuginfo.Type {
	return &debuginfo.Type{Kind: debuginfo.KindString, Name: "struct string", GoName: "string", Size: 16,
		Fields: []debuginfo.Field{{Name: "str", Type: pointerTo(uint8T)}, {Name: "len", Type: intT, Offset: 8}}}
}

func sliceOf(elem *debuginfo.Type) *debuginfo.Type {
	g := "[]" + spell(elem)
	return &debuginfo.Type{Kind: debuginfo.KindSlice, Name: "struct " + g, GoName: g, Size: 24, Elem: elem,
		Fields: []debuginfo.Field{{Name: "array", Type: pointerTo(elem)}, {Name: "len", Type: intT, Offset: 8},
			{Name: "cap", Type: intT, Offset: 16}}}
}

// interfaceT is an interface header named goName; empty interfaces carry
// the type word (_type), others the itab (tab).
func interfaceT(goName string, empty bool, names rt) *debuginfo.Type {
	first := debuginfo.Field{Name: "tab", Type: pointerTo(opaqueStruct(names.itab, 32))}
	if empty {
		first = debuginfo.Field{Name: "_type", Type: pointerTo(opaqueStruct(names.etype, 48))}
	}
	return &debuginfo.Type{Kind: debuginfo.KindInterface, Name: goName, GoName: goName, Size: 16, EmptyInterface: empty,
		Fields: []debuginfo.Field{first, {Name: "data", Type: unsafePointer(), Offset: 8}}}
}

// opaqueStruct is a runtime struct whose members a probe never reads
// through an interface header; its size is the same in Go 1.17-1.27.
func opaqueStruct(name string, size int64) *debuginfo.Type {
	return &debuginfo.Type{Kind: debuginfo.KindStruct, Name: name, GoName: name, Size: size}
}

func arrayOf(elem *debuginfo.Type, n int64) *debuginfo.Type {
	return &debuginfo.Type{Kind: debuginfo.KindArray, Name: elem.Name + "[]", GoName: "[" + strconv.FormatInt(n, 10) + "]" + elem.GoName,
		Size: n * elem.Size, Count: n, Elem: elem}
}

func mapOf(key, elem *debuginfo.Type) *debuginfo.Type {
	g := "map[" + spell(key) + "]" + spell(elem)
	return &debuginfo.Type{Kind: debuginfo.KindMap, Name: g, GoName: g, Size: ptrSize, Key: key, Elem: elem}
}

func chanOf(dir string, elem *debuginfo.Type) *debuginfo.Type {
	g := dir + spell(elem)
	return &debuginfo.Type{Kind: debuginfo.KindChan, Name: g, GoName: g, Size: ptrSize, Elem: elem}
}

func funcT(goName string) *debuginfo.Type {
	return &debuginfo.Type{Kind: debuginfo.KindFunc, Name: goName, GoName: goName, Size: ptrSize}
}

// named gives a copy of underlying the name of a defined type, as DWARF's
// typedef does: "main.Opts", "os.FileMode", "error".
func named(name string, underlying *debuginfo.Type) *debuginfo.Type {
	t := *underlying
	t.Name, t.GoName = name, name
	if t.Kind == debuginfo.KindString {
		// Go's DWARF gives a named string its own struct type, not a
		// typedef (as it does a named slice): stap says
		// "struct reflect.StructTag" but "fmt.buffer".
		t.Name = "struct " + name
	}
	return &t
}

// unknown marks a type the source does not let us resolve; Size -1 keeps
// it out of any layout (Frame refuses it) and Name says why.
func unknown(goName, reason string) *debuginfo.Type {
	return &debuginfo.Type{Kind: debuginfo.KindUnsupported, Name: "? (" + reason + ")", GoName: goName, Size: -1}
}

// IsUnknown reports whether t or anything its layout depends on is an
// unresolved type.
func IsUnknown(t *debuginfo.Type) bool { return unknownReason(t, 0) != "" }

func unknownReason(t *debuginfo.Type, depth int) string {
	if t == nil {
		return "no type"
	}
	if depth > 64 {
		return ""
	}
	switch t.Kind {
	case debuginfo.KindUnsupported:
		return t.GoName + ": " + strings.TrimSuffix(strings.TrimPrefix(t.Name, "? ("), ")")
	case debuginfo.KindStruct:
		for _, f := range t.Fields {
			if r := unknownReason(f.Type, depth+1); r != "" {
				return r
			}
		}
	case debuginfo.KindArray:
		return unknownReason(t.Elem, depth+1)
	}
	return ""
}

// alignOf is Go's alignment rule on amd64 (cmd/compile types.CalcSize):
// a struct aligns to its most aligned field, an array to its element,
// complex64 to 4, the headers to a pointer.
func alignOf(t *debuginfo.Type) int64 {
	switch t.Kind {
	case debuginfo.KindStruct:
		a := int64(1)
		for _, f := range t.Fields {
			a = max(a, alignOf(f.Type))
		}
		return a
	case debuginfo.KindArray:
		return alignOf(t.Elem)
	case debuginfo.KindComplex:
		return max(t.Size/2, 1)
	case debuginfo.KindString, debuginfo.KindSlice, debuginfo.KindInterface:
		return ptrSize
	}
	return min(max(t.Size, 1), ptrSize)
}

func roundUp(n, a int64) int64 { return (n + a - 1) / a * a }

// layout places fields at Go's offsets and returns the struct's size.
// A non-empty struct ending in a zero-size field gets one byte of padding
// (so &last cannot point past the object), then rounds to its alignment.
func layout(fields []debuginfo.Field) ([]debuginfo.Field, int64) {
	var off, al int64 = 0, 1
	for i := range fields {
		a := alignOf(fields[i].Type)
		al = max(al, a)
		off = roundUp(off, a)
		fields[i].Offset = off
		off += max(fields[i].Type.Size, 0)
	}
	if n := len(fields); n > 0 && off > 0 && fields[n-1].Type.Size == 0 {
		off++
	}
	return fields, roundUp(off, al)
}
