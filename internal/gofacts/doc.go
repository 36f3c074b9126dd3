// Package gofacts answers the plan's questions about a Go binary: where each
// argument and result lives (the register ABI, computed from DWARF types),
// where the function returns (RET instructions), where its body starts after
// the stack check, and where runtime.g keeps the goroutine id. For binaries
// without DWARF it lists functions from Go's function table and answers
// all but the types from the code and the runtime's own metadata.
package gofacts
