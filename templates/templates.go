// Package templates holds the SystemTap script templates stapgen renders.
//
// The templates receive a *script.View (see internal/script) and hold no
// decisions: every expression they print was computed and validated by
// internal/plan. A user may render with their own copy of these files
// (stapgen gen --templates DIR); the file names below must all exist there.
//
//   - script.stp.tmpl: the whole script; defines "script".
//   - helpers.stp.tmpl: stap functions the kernel runtime uses to print
//     strings and slices in the record format; defines "helpers".
//   - probe.stp.tmpl: one probe handler; defines "probe".
package templates

import "embed"

// FS holds the built-in templates.
//
//go:embed *.stp.tmpl
var FS embed.FS

// Names are the template files a template directory must provide.
var Names = []string{"script.stp.tmpl", "helpers.stp.tmpl", "probe.stp.tmpl"}
