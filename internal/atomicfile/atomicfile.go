// Package atomicfile replaces files so that a reader never sees half of
// one: stapgen's caches and generated debug files are read by concurrent
// runs (and by stap) while another run rewrites them.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write makes p hold what write puts in a temp file beside it, renamed over
// p with the given mode; p's directory is created. On failure p is
// untouched and the temp file removed.
func Write(p string, mode os.FileMode, write func(*os.File) error) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	err = write(tmp)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
