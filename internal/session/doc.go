// Package session is stapgen as a library: it opens a target (its DWARF
// index, or the function table of a stripped Go binary, and the Go facts),
// plans and renders a script for a request, runs stap on it, and delivers
// the decoded events and stap's losses. Callers fill plain option structs;
// the command line is one such caller and adds only flags, output, hints
// and exit codes.
package session
