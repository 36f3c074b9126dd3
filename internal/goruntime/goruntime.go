// Package goruntime holds the rules of the Go toolchain and runtime that
// readers of a Go binary apply, one copy each: how the linker names ABI0
// wrappers and which copy of a function to probe, how the compiler marks
// the register ABI and the dictionary argument, and where the goroutine id
// lives. target, debuginfo and gofacts apply them; none restates them.
//
// It imports nothing of the project: it is below every reader.
package goruntime

import (
	"fmt"
	"strings"
)

// abi0Suffix ends the ELF name of an ABI0 wrapper: the linker emits
// "pkg.F.abi0" for the stack-ABI entry of an assembly-callable function.
const abi0Suffix = ".abi0"

// ABI0Name splits an ELF symbol name into the Go name and whether it is
// an ABI0 wrapper (which shares that name with its ABIInternal body).
func ABI0Name(sym string) (name string, abi0 bool) {
	return strings.CutSuffix(sym, abi0Suffix)
}

// Role is what one copy of a Go function is, for choosing what to probe.
type Role int

const (
	// Other is neither (an abstract inline function, a C symbol).
	Other Role = iota
	// Body is the ABIInternal body.
	Body
	// Wrapper is an ABI0 wrapper.
	Wrapper
)

// PreferBodies drops the ABI0 wrappers of xs when an ABIInternal body is
// also there: the body is what Go code calls, and what stap -L lists with
// parameters; a wrapper alone (an assembly function) is kept. xs is
// filtered in place.
func PreferBodies[T any](xs []T, role func(T) Role) []T {
	body := false
	for _, x := range xs {
		body = body || role(x) == Body
	}
	if !body {
		return xs
	}
	kept := xs[:0]
	for _, x := range xs {
		if role(x) != Wrapper {
			kept = append(kept, x)
		}
	}
	return kept
}

// RegABI reports whether a Go unit's DW_AT_producer ("Go cmd/compile
// go1.26.8; regabi") says the compiler passed arguments in registers
// (ABIInternal); without it every argument is on the stack (ABI0).
func RegABI(producer string) bool { return strings.Contains(producer, "regabi") }

// RegABIVersion: a binary of Go version v ("go1.19.8") passes arguments in
// registers, as every amd64 build since Go 1.17 does; an unreadable
// version ("devel ...") counts as the newest.
func RegABIVersion(v string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(v, "go%d.%d", &major, &minor); err != nil {
		return true
	}
	return major > 1 || major == 1 && minor >= 17
}

// DictPlace says where a function takes the hidden dictionary argument of
// a shaped generic instantiation.
type DictPlace int

const (
	NoDict            DictPlace = iota
	DictFirst                   // pkg.F[go.shape.T]: the dictionary takes the first integer register
	DictAfterReceiver           // methods of generic types: the receiver, then the dictionary
)

// Dictionary decides from a function's name whether and where it takes a
// dictionary: shaped instantiations do, after the receiver for methods
// ("pkg.(*T[go.shape.int]).M", "pkg.T[go.shape.int].M"); their closures
// ("F[...].func1", ".gowrap1", ".deferwrap1") and type equality functions
// do not.
func Dictionary(name string) DictPlace {
	if !strings.Contains(name, "[go.shape.") || strings.HasPrefix(name, "type:") {
		return NoDict
	}
	tail := name[strings.LastIndexByte(name, ']')+1:]
	for _, c := range []string{".func", ".gowrap", ".deferwrap"} {
		if strings.Contains(tail, c) {
			return NoDict
		}
	}
	if strings.Contains(name, ").") || strings.Contains(name, "].") {
		return DictAfterReceiver
	}
	return DictFirst
}

// DictParam is the name unoptimised builds give the hidden dictionary
// argument of shaped generic functions. Optimised builds leave it out of
// the DWARF, so readers drop it to keep parameters identical across build
// modes; the ABI assigner adds the dictionary by rule (Dictionary).
const DictParam = ".dict"

// The goroutine id is the field GoidField of the runtime's GType, reached
// from the g register (R14 at the entry of every ABIInternal function).
// Its offset moves between releases (152 in Go 1.26, 160 in Go 1.23), so
// it is read from each binary's DWARF.
const (
	GType     = "runtime.g"
	GoidField = "goid"
	// GRegister holds the current g in ABIInternal code on amd64.
	GRegister = "r14"
)
