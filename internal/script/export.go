package script

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/stapgen/stapgen/templates"
)

// ErrExists is returned by Export for a file it would overwrite.
var ErrExists = errors.New("file exists")

// Export writes the built-in template files into dir, for a user to edit
// and render with (stapgen gen --templates DIR). It writes none if any
// would replace a file, unless overwrite is set, and returns the paths.
func Export(dir string, overwrite bool) ([]string, error) {
	entries, err := fs.ReadDir(templates.FS, ".")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".tmpl" {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if _, err := os.Lstat(p); err == nil && !overwrite {
			return nil, fmt.Errorf("%s: %w", p, ErrExists)
		}
		names = append(names, e.Name())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		b, err := fs.ReadFile(templates.FS, n)
		if err != nil {
			return out, err
		}
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}
