package plan

import "github.com/stapgen/stapgen/internal/spec"

// The typed probe program: what each handler reads, under which guards, and
// how each value is printed in the record format. It holds no stap text;
// package script writes it, one named template per kind of read and print,
// for each runtime.

// Expr is a value a handler computes. Its dynamic type says how.
type Expr interface{ isExpr() }

// Reg is a user register read at the probe site ("rax", "rsp", "r14").
type Reg struct{ Name string }

// Var is a stap target variable with its member and index steps
// ($name->member[2]), evaluated by stap's DWARF machinery.
type Var struct {
	Name  string
	Steps []VarStep
	// AddrOf takes the variable's address (&$x->arr) instead of its value.
	AddrOf bool
	// Of, when set (a Cast), starts the chain instead of $Name:
	// @cast($ctx, "struct x", "kernel")->count.
	Of Expr
	// Entry reads the value as it was at the function's entry (stap's
	// @entry), for parameters printed at a return. Name "return" is the
	// return value ($return), which a return probe reads like a variable.
	Entry bool
}

// Cast is stap's @cast(X, Type, Module): X, a pointer or an address, read
// as pointing to Type as the DWARF of Module ("kernel", a kernel module's
// name, a binary's path) defines it. Type and Module were checked against
// that DWARF at planning.
type Cast struct {
	X            Expr
	Type, Module string
}

// VarStep is one ->member or [index] of a Var.
type VarStep struct {
	Member string // "" for an index
	Index  int
}

// Return is a C function's return value at a .return probe.
type Return struct{}

// Mem reads Size bytes of user memory at Addr+Off.
type Mem struct {
	Addr   Expr
	Off    int64
	Size   int64
	Signed bool
}

// Narrow keeps Size bytes of a register or word from byte Byte up (the
// low ones when 0), sign-extended if Signed: a small value sharing a word
// with others (Go's stack arguments are packed by their alignment).
type Narrow struct {
	X      Expr
	Size   int64
	Signed bool
	Byte   int64
}

// UReg is a user register by its DWARF number, as stap's BPF back end
// reads its own $vars (@uregister): the BPF runtime has no u_register().
// Entry reads it as it was at the function's entry (@entry), at a return.
type UReg struct {
	Num   int
	Entry bool
}

// Linked is X, an address at run time, as its link-time address: less
// the load bias, which is the probe's own address (@uregister(16), the PC
// at a uprobe) less the link-time address At it was placed at or a
// prologue after, rounded down to the page. A load bias is a whole number
// of pages, and no prologue is a page long, so this is exact; without a
// bias (a fixed-address binary) it is X. BPF only.
type Linked struct {
	X  Expr
	At uint64
}

func (Linked) isExpr() {}
func (Reg) isExpr()    {}
func (UReg) isExpr()   {}
func (Var) isExpr()    {}
func (Return) isExpr() {}
func (Mem) isExpr()    {}
func (Narrow) isExpr() {}
func (Cast) isExpr()   {}

// Value is how one field's token is read and printed. Every Value prints
// exactly one token (preceded by a space), and a fault while reading prints
// a token that reads as "!" or as truncated, never a broken record.
type Value interface{ isValue() }

// Int prints an integer (a C or Go integer, enum or, with Bool, a truth value).
type Int struct {
	X      Expr
	Signed bool
	Bool   bool
}

// Ptr prints an address in hex.
type Ptr struct{ X Expr }

// Iface prints a Go interface's two words.
type Iface struct{ Type, Data Expr }

// Bytes prints Len bytes at Ptr (a Go string or []byte), at most Max.
type Bytes struct {
	Ptr, Len Expr
	Max      int
	// Word (BPF, user space) is an 8-byte integer type of the target's
	// DWARF and its module, as CString.Word: the script looks for a NUL
	// through @cast reads of the bytes' words and prints the bytes raw
	// when there is none (templates/bpf.stp.tmpl). Empty: every word is
	// printed.
	Word, WordModule string
}

// CString prints a NUL-terminated string at Addr, at most Max bytes; Kernel
// says it lives in kernel memory.
type CString struct {
	Addr   Expr
	Max    int
	Kernel bool
	// Word (BPF, user space) is an 8-byte integer type of the target's
	// DWARF and the module stap finds it in, to read the words through
	// @cast: such a read of a page the program has not touched yields 0,
	// where user_uint64 ends the whole stapbpf run ("user copy fault").
	// Empty: the words are read with user_uint64.
	Word, WordModule string
}

// SliceElem says how a Go slice's elements print.
type SliceElem string

const (
	ElemInt  SliceElem = "int"  // integers of ElemSize bytes
	ElemStr  SliceElem = "str"  // Go strings, StrMax bytes each
	ElemAddr SliceElem = "addr" // element addresses
)

// Slice prints a Go slice: length, capacity and the first Max elements.
type Slice struct {
	Array, Len, Cap Expr
	Elem            SliceElem
	ElemSize        int64
	Signed          bool
	Max, StrMax     int
}

// IntArray prints a fixed-size array of integers, Elems being the first
// elements read (the rest is counted, not printed).
type IntArray struct {
	Count  int64
	Elems  []Expr
	Signed bool
}

// CountAt prints a word of the runtime header X points to (a Go map's or
// channel's element count, a channel's capacity), 0 for nil.
type CountAt struct {
	X   Expr
	Off int64 // the word's offset in the header (a channel's capacity: 8)
}

// Missing prints "!": the value cannot be read here. Why says why; Runtime
// says the runtime is what cannot read it (the value would be readable
// with the other one), so an explicitly named field is marked, not refused.
type Missing struct {
	Why     string
	Runtime bool
}

// Stack prints a backtrace, User for the user-space one.
type Stack struct{ User bool }

// Vars prints every variable in scope at a line ($$vars) as one string.
type Vars struct{}

// NonNil prints X when the pointer Ptr is not NULL, else "!": stap's
// user-memory reads give 0 at unmapped addresses instead of failing, so a
// Go struct behind a nil pointer would print zeros.
type NonNil struct {
	Ptr Expr
	X   Value
}

func (NonNil) isValue() {}

// Bare is the value v prints where its pointers are not NULL: v without
// its NonNil guards.
func Bare(v Value) Value {
	for {
		n, ok := v.(NonNil)
		if !ok {
			return v
		}
		v = n.X
	}
}

// ReturnValue prints a C function's return value where it exists.
type ReturnValue struct{}

func (Int) isValue()         {}
func (Ptr) isValue()         {}
func (Iface) isValue()       {}
func (Bytes) isValue()       {}
func (CString) isValue()     {}
func (Slice) isValue()       {}
func (IntArray) isValue()    {}
func (CountAt) isValue()     {}
func (Missing) isValue()     {}
func (Stack) isValue()       {}
func (Vars) isValue()        {}
func (ReturnValue) isValue() {}

// Cond is a filter condition. Its dynamic type says how it is tested.
type Cond interface{ isCond() }

// And holds when every part holds.
type And []Cond

// Compare tests an integer: X Op N.
type Compare struct {
	X  Expr
	Op spec.Op
	N  int64
}

// StrEq tests a string's bytes against Lit (Not negates): a Go string of
// known length (Len set) or a NUL-terminated C string (Len nil).
type StrEq struct {
	Ptr, Len Expr
	Lit      string
	Kernel   bool
	Not      bool
}

// Or holds when some part holds.
type Or []Cond

// Not holds when X does not.
type Not struct{ X Cond }

// Mask tests bits of an integer: (X & M) Op N.
type Mask struct {
	X  Expr
	M  int64
	Op spec.Op
	N  int64
}

func (And) isCond()     {}
func (Or) isCond()      {}
func (Not) isCond()     {}
func (Mask) isCond()    {}
func (Compare) isCond() {}
func (StrEq) isCond()   {}

// PointKind says what a probe point names.
type PointKind int

const (
	// PointFunction is .function(Name) in Path, or in the kernel.
	PointFunction PointKind = iota
	// PointStatement is .statement(Name) (a "*@file:line" spec).
	PointStatement
	// PointAddress is .statement(Addr) in Path.
	PointAddress
	// PointSymbol is .function(Name) in Path, Name a symbol of a generated
	// debug file that stands for one address (Plan.UseSymbols).
	PointSymbol
)

// Point is one stap probe point.
type Point struct {
	Kind PointKind
	// Path is the user-space binary, "" for the kernel.
	Path string
	// Module is the kernel module (name or .ko path) a kernel point is
	// in, "" for vmlinux.
	Module string
	// Name is the function name as stap must spell it, the statement
	// spec, or the symbol.
	Name string
	// Addr is the address of an address point, and a function point's
	// entry (0 when unknown).
	Addr uint64
	// Return is .return, else a function point is .call.
	Return bool
}

// StackGuard skips a firing in Go's stack-check prologue that is about to
// call morestack: g.stackguard0 (Guard reads it) is at or above RSP-Frame.
type StackGuard struct {
	Guard Expr
	Frame int64
}
