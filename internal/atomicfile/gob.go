package atomicfile

import (
	"encoding/gob"
	"errors"
	"io"
	"os"
)

// WriteGob makes p hold v gob-encoded, atomically (Write).
func WriteGob(p string, mode os.FileMode, v any) error {
	return Write(p, mode, func(f *os.File) error { return gob.NewEncoder(f).Encode(v) })
}

// errDamaged is a cache file gob could not decode without panicking.
var errDamaged = errors.New("damaged gob file")

// ReadGob decodes p into v. A cache file may be damaged or written by
// another version; gob panics on some such input, which reads as an
// error here like any other bad file, so callers rebuild the cache.
func ReadGob(p string, v any) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return DecodeGob(f, v)
}

// DecodeGob is ReadGob of what r holds (fuzz tests decode bytes without
// writing a file each time).
func DecodeGob(r io.Reader, v any) (err error) {
	defer func() {
		if recover() != nil {
			err = errDamaged
		}
	}()
	return gob.NewDecoder(r).Decode(v)
}
