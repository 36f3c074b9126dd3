// Package probes is stapgen's catalog of ready probe recipes: probe files
// (see internal/spec for the format) that `stapgen probes` lists and
// `stapgen run --probe NAME` runs. Each file starts with "# key: value"
// lines: name, description, target (kernel, go, c) and an example command.
package probes

import "embed"

// FS holds the recipes, one .probe file each, in a folder per target kind.
//
//go:embed */*.probe
var FS embed.FS
