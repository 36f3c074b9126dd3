package debuginfo

import "github.com/stapgen/stapgen/internal/debuginfo/nameindex"

// Glob is the one function-name pattern of stapgen (nameindex.Glob): '*'
// any run, '?' one character, '\' quotes, brackets and a pointer
// receiver's "(*" literal. Everything matching names by pattern uses it.
type Glob = nameindex.Glob

// CompileGlob reads a pattern.
func CompileGlob(p string) Glob { return nameindex.Compile(p) }

// IsPattern reports whether p contains an unescaped wildcard, so callers
// can choose between Lookup (exact name, fast path) and Match.
func IsPattern(p string) bool { return nameindex.IsPattern(p) }
