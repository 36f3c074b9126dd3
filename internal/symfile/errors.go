package symfile

import "errors"

// ErrUnsupported means the binary is not one we can write a debug file for
// (not amd64 ELF64, or a hostile header).
var ErrUnsupported = errors.New("symfile: unsupported binary")

// ErrHasDebugInfo means the binary gets no generated file: it carries DWARF
// or a .symtab of its own, which libdwfl reads instead of ours. Its entries
// resolve by name already (use Matcher.Pattern); addresses inside functions
// cannot get alias names.
var ErrHasDebugInfo = errors.New("symfile: binary has its own DWARF or .symtab")
