// Package goabi computes where Go's register ABI (ABIInternal, amd64, Go
// 1.17+) puts each argument and result of a function, from their types. It
// follows the assignment algorithm of Go's cmd/compile/abi-internal.md.
// DWARF locations are not used for this: they are wrong for reassigned
// parameters and wrappers, and missing for results in optimized builds.
package goabi
