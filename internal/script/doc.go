// Package script renders a plan.Plan into a SystemTap script with the
// templates of package templates (or a user's copy of them), and reads the
// record schema back out of a rendered script.
package script
