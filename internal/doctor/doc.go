// Package doctor inspects a machine for what SystemTap needs and says, for
// every gap, what to install or run. It only reads: files under /proc, /sys
// and /lib/modules, and what a stap version probe reports.
package doctor
