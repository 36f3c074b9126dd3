// Package stap runs the SystemTap translator: it builds stap's command line,
// streams what scripts print, stops runs cleanly (SIGINT first, so stap
// unloads its module), and turns stap's failures into typed errors with a
// summary line and a fix. It is the only non-test user of os/exec.
package stap
