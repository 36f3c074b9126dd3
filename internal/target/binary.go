// Package target opens the file a user wants to trace: a vmlinux, a C or a
// Go ELF binary. It is the only package that opens ELF files. It classifies
// the binary, maps it read-only so large debug sections are sliced rather
// than copied, finds separate debuginfo, and indexes the symbol table.
//
// Every parser of file bytes here runs under recover: a hostile file yields
// an error, never a panic.
package target

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// Kind classifies a binary by how it is probed.
type Kind int

const (
	KindC Kind = iota
	KindGo
	KindKernel
)

func (k Kind) String() string {
	switch k {
	case KindGo:
		return "go"
	case KindKernel:
		return "kernel"
	}
	return "c"
}

// Options tune Open. The zero value is the system default.
type Options struct {
	// DebugDirs are the roots searched for separate debuginfo
	// (<dir>/.build-id/xx/rest.debug, <dir>/<path-dir>/<debuglink>).
	// nil means /usr/lib/debug.
	DebugDirs []string
	// NoSeparate disables the separate debuginfo search.
	NoSeparate bool
}

// Binary is one opened ELF file. It is safe for concurrent readers once
// opened; Close unmaps it.
type Binary struct {
	Path string
	Kind Kind
	Arch string // GOARCH spelling: amd64, arm64, 386, ...; OpenWith accepts amd64 only
	PIE  bool
	// Library is set for a shared library (ET_DYN with a DT_SONAME and
	// no DF_1_PIE, or with neither an interpreter nor DF_1_PIE; glibc's
	// libc.so.6 has an interpreter, to print its version when run): every
	// process that maps it runs its code.
	Library   bool
	BuildID   string // hex NT_GNU_BUILD_ID, "" when absent
	GoVersion string // "go1.26.8" for Go binaries when readable
	// Module is the name of a kernel module ("macvlan"; Kind is then
	// KindKernel), "" for any other file.
	Module string

	// Debug is the separate debuginfo file holding the DWARF, or nil when
	// the DWARF is in this file (or nowhere).
	Debug *Binary

	elf  *elf.File
	file *os.File
	data []byte // read-only mmap of the whole file
	// pin is held for reading while a Use runs and for writing by Close:
	// touching unmapped memory is a SIGSEGV that recover cannot catch.
	pin sync.RWMutex

	mu     sync.Mutex
	decomp map[string]*inflated // decompressed SHF_COMPRESSED sections

	symOnce sync.Once
	syms    *Symtab
	symErr  error
	// namedScans counts SymbolsNamed calls answered by scanning; past a
	// few, building the table once is cheaper.
	namedScans atomic.Int32
}

// Open opens path with default options.
func Open(path string) (*Binary, error) { return OpenWith(path, Options{}) }

// OpenWith opens path, classifies it and, when it has no .debug_info,
// looks for separate debuginfo.
func OpenWith(path string, opts Options) (*Binary, error) {
	if err := compressedModule(path); err != nil {
		return nil, err
	}
	b, err := openFile(path)
	if err != nil {
		return nil, err
	}
	// The one architecture check: everything downstream (register ABI,
	// RET decoding, the runtime's table layouts) assumes x86-64.
	if b.Arch != "amd64" {
		b.Close()
		return nil, &ArchError{Path: path, Arch: b.Arch}
	}
	if !b.hasOwnDWARF() && !opts.NoSeparate {
		if d := findSeparate(b, opts); d != nil {
			b.Debug = d
		}
	}
	return b, nil
}

func openFile(path string) (b *Binary, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: is a directory: %w", path, ErrNotELF)
	}
	var magic [4]byte
	if n, _ := f.ReadAt(magic[:], 0); n < 4 || string(magic[:]) != elf.ELFMAG {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, ErrNotELF)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("mmap %s: %w", path, err)
	}
	b = &Binary{Path: path, file: f, data: data, decomp: map[string]*inflated{}}
	defer func() {
		if r := recover(); r != nil {
			b.Close()
			b, err = nil, &FormatError{Path: path, Msg: fmt.Sprint(r)}
		}
		if err != nil && b != nil {
			b.Close()
			b = nil
		}
	}()
	b.elf, err = elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return b, &FormatError{Path: path, Msg: err.Error()}
	}
	if err := b.checkSections(); err != nil {
		return b, err
	}
	b.layoutRelocatable()
	b.Arch = archName(b.elf.Machine, b.elf.Class)
	b.BuildID = b.readBuildID()
	b.Kind = b.classify()
	if b.isModule() {
		b.Kind, b.Module = KindKernel, b.moduleName()
	}
	b.PIE = b.isPIE()
	b.Library = b.isLibrary()
	if b.Kind == KindGo {
		if bi, err := buildinfo.Read(bytes.NewReader(data)); err == nil {
			b.GoVersion = bi.GoVersion
		}
	}
	return b, nil
}

// checkSections rejects section headers pointing outside the file, so that
// later slicing of the mmap cannot go out of range.
func (b *Binary) checkSections() error {
	size := uint64(len(b.data))
	for _, s := range b.elf.Sections {
		if s.Type == elf.SHT_NOBITS || s.Type == elf.SHT_NULL {
			continue
		}
		if s.Offset > size || s.FileSize > size-s.Offset {
			return &FormatError{Path: b.Path, Msg: fmt.Sprintf("section %q extends past end of file", s.Name)}
		}
	}
	return nil
}

// Closed reports whether Close has unmapped the file.
func (b *Binary) Closed() bool {
	b.pin.RLock()
	defer b.pin.RUnlock()
	return b.data == nil
}

// Use runs f with the file (and its separate debuginfo) kept mapped: a
// Close waits for f to return. Once the file is closed, f is not run and
// Use returns ErrClosed. f must not call Use or Close of b.
func (b *Binary) Use(f func()) error {
	b.pin.RLock()
	defer b.pin.RUnlock()
	if b.data == nil {
		return ErrClosed
	}
	f()
	return nil
}

// Close releases the mapping and the file, and the separate debuginfo,
// once no Use runs.
func (b *Binary) Close() error {
	if b == nil {
		return nil
	}
	b.pin.Lock()
	defer b.pin.Unlock()
	if b.Debug != nil {
		b.Debug.Close()
		b.Debug = nil
	}
	if b.data != nil {
		syscall.Munmap(b.data)
		b.data = nil
	}
	if b.file != nil {
		err := b.file.Close()
		b.file = nil
		return err
	}
	return nil
}

// ELF exposes the parsed headers (read-only use).
func (b *Binary) ELF() *elf.File { return b.elf }

// Mapped is the whole file as mapped, for parsers that slice sections
// rather than copy them (gopclntab scans dockerd's 27 MB .data.rel.ro).
// Valid until Close; do not modify.
func (b *Binary) Mapped() []byte { return b.data }

// DWARFFile is the file holding the DWARF: the separate debuginfo when one
// was found, else b itself.
func (b *Binary) DWARFFile() *Binary {
	if b.Debug != nil {
		return b.Debug
	}
	return b
}

// HasDWARF reports whether DWARF is available in b or its separate file.
func (b *Binary) HasDWARF() bool { return b.DWARFFile().hasOwnDWARF() }

// RequireDWARF returns a *NoDebugInfoError when HasDWARF is false.
func (b *Binary) RequireDWARF() error {
	if b.HasDWARF() {
		return nil
	}
	return noDebugInfo(b)
}

func (b *Binary) hasOwnDWARF() bool {
	return b.elf.Section(".debug_info") != nil || b.elf.Section(".zdebug_info") != nil
}
