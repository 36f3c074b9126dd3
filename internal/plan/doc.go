// Package plan resolves a spec.Request against a target's debug info into a
// Plan: concrete probe points, the stap expression for every value, and the
// event.Schema that both the script and the decoder follow.
//
// A Plan is pure data computed from its inputs: the same target and request
// give the same plan, and so the same script, on any machine. Everything the
// script will contain that came from a user (names, literals) has been
// validated or escaped here; the templates only lay the plan out.
//
// Go functions are read per the register ABI, never through stap's $vars
// (which cannot evaluate Go stack locations), and their returns are probed at
// each RET instruction, never with .return (uretprobes crash Go programs).
package plan
