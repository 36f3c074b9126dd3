package symfile

import "errors"

// ErrUnsupported means the binary is not one we can write a debug file for.
var ErrUnsupported = errors.New("symfile: unsupported binary")
