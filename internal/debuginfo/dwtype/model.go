// Package dwtype converts DWARF type DIEs into stapgen's model of a type
// (Type, Kind, Lang, Field), spelled as SystemTap spells it. The model is
// re-exported by debuginfo under the same names; this package is where a
// DIE becomes one.
package dwtype

import (
	"sync"
	"sync/atomic"
)

// Lang is the source language of a function, which decides how its values
// are read: C and kernel code through stap's $var machinery, Go through the
// register ABI (stap cannot evaluate Go's stack locations, see DESIGN.md).
type Lang int

const (
	LangC Lang = iota
	LangGo
)

func (l Lang) String() string {
	if l == LangGo {
		return "go"
	}
	return "c"
}

// Kind classifies a Type by what a probe has to do to read it.
type Kind int

const (
	KindUnsupported Kind = iota
	KindVoid
	KindBool
	KindInt   // signed integer, including C char types
	KindUint  // unsigned integer, including uintptr
	KindFloat // float32/float64, float/double
	KindComplex
	KindPointer
	KindStruct
	KindUnion
	KindArray
	KindEnum
	KindFunc      // function pointer / Go func value
	KindString    // Go string {str *uint8; len int}
	KindSlice     // Go slice {array *T; len, cap int}
	KindInterface // Go iface {tab, data} or eface {_type, data}
	KindMap       // Go map: a pointer to the runtime map header
	KindChan      // Go chan: a pointer to runtime.hchan
)

var kindNames = [...]string{"unsupported", "void", "bool", "int", "uint", "float", "complex",
	"pointer", "struct", "union", "array", "enum", "func", "string", "slice", "interface", "map", "chan"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Type is a resolved DWARF type. Typedefs and qualifiers are folded into
// Name (the spelling stap uses) while Kind describes the underlying type.
// Types may be cyclic through Elem (struct list_head), so walkers must bound
// their depth.
type Type struct {
	Kind Kind
	// Name is SystemTap's own spelling: "struct qstr const*", "unsigned int",
	// "struct string", "struct []uint8", "main.Opts*".
	Name string
	// GoName is the Go spelling for Go types ("*main.Opts", "[]uint8"), empty for C.
	GoName string
	Size   int64
	// Elem is the pointee (pointer), element (array, slice, chan), value (map).
	Elem *Type
	// Key is the key type of a Go map.
	Key *Type
	// Count is the element count of an array, -1 when unknown (flexible array).
	Count int64
	// Fields are the members of a struct or union, and of Go string, slice and
	// interface headers. Read them with Members: a C struct read from
	// DWARF gets its members on first use, and Fields stays nil.
	Fields []Field
	lazy   *lazyMembers
	// Char is true for C character types (char, signed char, unsigned char),
	// so a pointer to them reads as a string.
	Char bool
	// EmptyInterface is true for Go's interface{} / any (eface), false for iface.
	EmptyInterface bool
	// Enumerators of a C enum, in declaration order.
	Enumerators []Enumerator
}

// Field is a member of a struct or union.
type Field struct {
	Name   string
	Type   *Type
	Offset int64 // byte offset within the parent
	// BitSize is non-zero for bitfields; BitOffset then counts from the
	// start of the parent (DW_AT_data_bit_offset semantics).
	BitSize   int64
	BitOffset int64
}

// Enumerator is one named value of a C enum.
type Enumerator struct {
	Name  string
	Value int64
}

// Members returns the members of a struct or union (see Fields), reading
// them from the DWARF on first use. Once the binary is closed, members
// not read by then come back empty.
func (t *Type) Members() []Field {
	l := t.lazy
	if l == nil {
		return t.Fields
	}
	if !l.done.Load() {
		l.mu.Lock()
		l.load()
		l.mu.Unlock()
	}
	return l.fields
}

// lazyMembers defers reading a C struct's members. Converting them
// eagerly converts everything they reach: a kernel function taking a
// struct dentry* pulled in some 20,000 DIEs (super_block, inode,
// task_struct and on), 19 ms of a 30 ms lookup, for a show that prints
// only the parameter's type name. Typedef and qualifier aliases copy the
// Type value, so the members live here, shared by every copy.
type lazyMembers struct {
	done   atomic.Bool
	mu     *sync.Mutex // the Index's lock: DWARF reads are serialised on it
	read   func() []Field
	fields []Field
}

// load reads the members once; the caller holds mu.
func (l *lazyMembers) load() {
	if l.done.Load() {
		return
	}
	l.fields, l.read = l.read(), nil
	l.done.Store(true)
}

// Deferred reports whether t's members are read on first use and have not
// been yet (a C struct or union nobody looked into).
func (t *Type) Deferred() bool { return t.lazy != nil && !t.lazy.done.Load() }
