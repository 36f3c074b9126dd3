// Package testenv holds what tests share: the rule for missing tools (skip
// locally, fail under CI), and the fixture programs built once per machine.
//
// Only tests import it.
package testenv
