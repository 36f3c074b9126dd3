package goruntime

import "fmt"

// Interface values. A Go interface is two words: the type word (for an
// empty interface the *abi.Type itself, for any other an *abi.ITab whose
// Type is its second word) and the data word. Types of the kinds below are
// never pointer-shaped, so their data word points at the value.
//
// The type descriptor (internal/abi.Type, amd64, unchanged from Go 1.17
// to 1.27): Kind_ is the byte at TypeKindOff (low five bits, reflect.Kind
// numbering), TFlag at TypeTFlagOff, Str (an offset from moduledata.types
// to an encoded name: flags byte, varint length, bytes) at TypeStrOff.
const (
	ITabTypeOff  = 8
	TypeTFlagOff = 20
	TypeKindOff  = 23
	TypeStrOff   = 40
	PtrTypeElem  = 48 // PtrType.Elem, after the Type header
	KindMask     = 0x1f
	// TFlagExtraStar: the name has a '*' to drop (a named type T shares
	// "*T" with *T).
	TFlagExtraStar = 1 << 1
)

// Kinds (reflect.Kind) a reader of interface values tells apart.
const (
	KindBool       = 1
	KindInt        = 2
	KindInt64      = 6
	KindUint       = 7
	KindUintptr    = 12
	KindFloat32    = 13
	KindFloat64    = 14
	KindComplex64  = 15
	KindComplex128 = 16
	KindPointer    = 22
	KindString     = 24
	KindStruct     = 25
)

// PartKind is what one word group of a known type's value is.
type PartKind int

const (
	PartStr   PartKind = iota // a Go string header at Off
	PartIface                 // a non-empty interface (error, net.Addr) at Off
)

// Part is one decoded member of a known concrete type's value.
type Part struct {
	Kind PartKind
	Off  int64
}

// Layout is a concrete type whose value an interface's data word points
// at, and the members read of it, in the order the decoder formats them.
type Layout struct {
	Name  string // the type's name as its descriptor spells it
	Kind  uint8
	Parts []Part
}

// ErrorLayouts are the standard library's common error types, as laid out
// from Go 1.13 (wrapError) and 1.20 (wrapErrors) through 1.27. The members
// are those their Error methods print: errorString{s}, wrapError{msg, err},
// wrapErrors{msg, errs}, PathError{Op, Path, Err}, SyscallError{Syscall,
// Err}, OpError{Op, Net, Source, Addr, Err}. syscall.Errno, time.Duration,
// scalars and strings need no entry: their kind says how to read them.
var ErrorLayouts = []Layout{
	{Name: "*errors.errorString", Kind: KindPointer, Parts: []Part{{PartStr, 0}}},
	{Name: "*fmt.wrapError", Kind: KindPointer, Parts: []Part{{PartStr, 0}, {PartIface, 16}}},
	{Name: "*fmt.wrapErrors", Kind: KindPointer, Parts: []Part{{PartStr, 0}}},
	{Name: "*fs.PathError", Kind: KindPointer, Parts: []Part{{PartStr, 0}, {PartStr, 16}, {PartIface, 32}}},
	{Name: "*os.SyscallError", Kind: KindPointer, Parts: []Part{{PartStr, 0}, {PartIface, 16}}},
	{Name: "*net.OpError", Kind: KindPointer, Parts: []Part{{PartStr, 0}, {PartStr, 16}, {PartIface, 32}, {PartIface, 48}, {PartIface, 64}}},
}

// Iface tells a part that is an interface (for templates).
func (p Part) Iface() bool { return p.Kind == PartIface }

// RestartFuncs are where the runtime's newstack goes after a prologue's
// morestack call, each taking the goroutine as RestartParam: copystack
// (growth, or shrinking at a preemption), goschedImpl (a preemption
// request), preemptPark (a stop request). The goroutine's saved PC,
// RestartParam.sched.pc, is then in the calling function's morestack stub.
var RestartFuncs = []string{"runtime.copystack", "runtime.goschedImpl", "runtime.preemptPark"}

const RestartParam = "gp"

// SwissMaps: a binary of Go version v ("go1.24.0") lays its maps out as
// Swiss tables (internal/runtime/maps), the default from Go 1.24 (and the
// only layout from 1.26); before, as runtime.hmap buckets. A build with
// GOEXPERIMENT=noswissmap (1.24-1.25) is not told apart.
func SwissMaps(v string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(v, "go%d.%d", &major, &minor); err != nil {
		return true
	}
	return major > 1 || major == 1 && minor >= 24
}

// Map layouts on amd64. Swiss (Go 1.24+): Map{used uint64; seed uintptr;
// dirPtr; dirLen int; ...}; a small map (dirLen 0) has dirPtr at its one
// group, else at dirLen *table (repeated for tables that span several
// entries); table.groups{data; lengthMask uint64} at 16; a group is a
// control word (byte i's top bit clear: slot i is full) and 8 slots of
// {key; elem}. hmap (before 1.24): count int at 0, B uint8 at 9, buckets
// at 16, oldbuckets at 24; a bucket is tophash [8]uint8 (slot full when
// at least 5), keys [8]K, elems [8]V, then the overflow bucket pointer.
const (
	SwissDirPtr      = 16
	SwissDirLen      = 24
	SwissTableGroups = 16
	SwissSlots       = 8 // control word size, the slots' offset
	HmapB            = 9
	HmapBuckets      = 16
	HmapMinTopHash   = 5
)

// The channel header: hchan{qcount uint; dataqsiz uint; ...}: length and
// capacity are its first two words.
const (
	ChanLen = 0
	ChanCap = 8
)
