// Package gosource gives the functions of a Go binary without DWARF
// their parameter and result types, read from Go source: a --signature,
// the standard library of the binary's own toolchain version (Debian's
// golang-X.Y-src, a GOROOT, --go-source), the modules its build info
// names (module cache, --source with vendor/, Debian's
// /usr/share/gocode/src).
//
// The types are debuginfo.Type values shaped as debuginfo builds them
// from Go's DWARF (kind, size, stap and Go spellings, string, slice and
// interface headers, struct offsets), so goabi.Assign and the planner
// treat them alike. Signature.Check compares them with the argument size
// the binary's function table records, which refuses source of another
// version. Parsing reads declarations only; nothing is type-checked or
// compiled.
package gosource
