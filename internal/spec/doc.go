// Package spec is what a user asks for: which functions, which values, which
// filters and limits. It knows nothing of DWARF; internal/plan resolves a
// Request against a target's debug info.
//
// Everything here is validated before it can reach a script: names,
// paths and literals are checked against strict grammars so that user text
// can never become stap code (see Validate and the plan's escaping).
package spec
