package debuginfo

import (
	"debug/dwarf"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo/dwtype"
	"github.com/stapgen/stapgen/internal/debuginfo/raw"
)

// The type model is dwtype's, under the names every caller uses.
type (
	// Lang is the source language of a function (dwtype.Lang).
	Lang = dwtype.Lang
	// Kind classifies a Type by what a probe has to do to read it.
	Kind = dwtype.Kind
	// Type is a resolved DWARF type (dwtype.Type).
	Type = dwtype.Type
	// Field is a member of a struct or union.
	Field = dwtype.Field
	// Enumerator is one named value of a C enum.
	Enumerator = dwtype.Enumerator
)

const (
	LangC  = dwtype.LangC
	LangGo = dwtype.LangGo
)

const (
	KindUnsupported = dwtype.KindUnsupported
	KindVoid        = dwtype.KindVoid
	KindBool        = dwtype.KindBool
	KindInt         = dwtype.KindInt
	KindUint        = dwtype.KindUint
	KindFloat       = dwtype.KindFloat
	KindComplex     = dwtype.KindComplex
	KindPointer     = dwtype.KindPointer
	KindStruct      = dwtype.KindStruct
	KindUnion       = dwtype.KindUnion
	KindArray       = dwtype.KindArray
	KindEnum        = dwtype.KindEnum
	KindFunc        = dwtype.KindFunc
	KindString      = dwtype.KindString
	KindSlice       = dwtype.KindSlice
	KindInterface   = dwtype.KindInterface
	KindMap         = dwtype.KindMap
	KindChan        = dwtype.KindChan
)

// Variable is a formal parameter (or a Go result) of a function.
type Variable struct {
	Name string
	Type *Type
	// Result is true for Go results (~r0, named results).
	Result bool
	// Location describes where DWARF says the value lives at the entry pc,
	// for display ("reg rax", "fbreg+16", "loclist", "optimized out").
	Location string
	// LocList is true when DW_AT_location is a location list rather than
	// a single expression. SystemTap 4.8 (elfutils 0.188) can evaluate Go
	// locations only in this form: Go's single expressions are
	// DW_FORM_block1, which libdw rejects, so stap -L omits those variables.
	LocList bool
}

// AtEntry reports whether DWARF gives the variable a location at the
// function's entry pc. stap -L lists only such variables (and, for Go,
// only those with LocList set); $var access to others fails in pass 2.
func (v Variable) AtEntry() bool {
	switch v.Location {
	case "", "optimized out", "optimized out at entry", "inlined":
		return false
	}
	return true
}

// Register is the DWARF number of the register holding v at the entry
// pc, when its location there is one whole register ("reg rdx").
func (v Variable) Register() (int, bool) {
	name, ok := strings.CutPrefix(v.Location, "reg ")
	if !ok {
		return 0, false
	}
	return raw.RegNum(name)
}

// RegNum is the DWARF number of the amd64 register name ("r14").
func RegNum(name string) (int, bool) { return raw.RegNum(name) }

// Function is one probe-able function of a target.
type Function struct {
	// Name is what a user types and what stap's .function("...") matches:
	// "lookup_one_qstr_excl", "main.(*Server).Handle", C++'s qualified
	// "shop::Cart::add" (the scopes of its declaration, DW_AT_name last).
	Name string
	// LinkageName is a C++ function's DW_AT_linkage_name, the mangled
	// symbol ("_ZN4shop4Cart3addERKNS_4ItemEi"): the one spelling stap
	// matches that tells overloads apart.
	LinkageName string
	// Symbol is the name the function was found by when the DWARF names it
	// otherwise: an alias of the same code ("malloc" for glibc's
	// __libc_malloc, "open" for __libc_open64). Name is the DWARF's.
	Symbol string
	// CPP is set for functions of C++ units (their values read as C's).
	CPP bool
	// UnskippedBody is set for a C++ function in a line sequence of its
	// own (template instances, COMDAT inline members), where stap's
	// .function().call fires at the entry itself, before the prologue has
	// stored the parameters: the address after the prologue, where an
	// entry probe reads them (raw.OwnSequenceBody).
	UnskippedBody uint64
	Lang          Lang
	File          string
	Line          int
	// Entry and End are file virtual addresses (link-time, before relocation).
	Entry, End uint64
	// Params include a Go method's receiver first. Results are Go results.
	Params  []Variable
	Results []Variable
	// Return is a C function's return type (KindVoid for void), nil when
	// unknown: Go functions (their results are Results) and functions
	// without DWARF.
	Return *Type
	// NoTypes is set when the function comes from a symbol table or
	// .gopclntab only (stripped binary): no parameters are known.
	NoTypes bool
	// Inlined is true when the function has no out-of-line copy.
	Inlined bool
	// Module is the kernel module the function is in when the target is
	// the kernel with its modules (as stap names the module), "" for
	// vmlinux and every other target.
	Module string

	// unit and die locate the subprogram DIE the function was read from
	// (global offset), for Lines of an inline-only function, whose copies
	// are found through it.
	unit int
	die  dwarf.Offset
}

// Signature spells f's parameters as C++ declares them, "(long int w,
// long int h)", which tells overloads apart in listings.
func (f *Function) Signature() string {
	var ps []string
	for _, p := range f.Params {
		if p.Name == "this" {
			continue
		}
		ps = append(ps, strings.TrimSpace(p.Type.Name+" "+p.Name))
	}
	return "(" + strings.Join(ps, ", ") + ")"
}
