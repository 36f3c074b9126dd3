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
	"compress/zlib"
	"debug/buildinfo"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
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

// archName spells the machine as GOARCH does; ELFCLASS32 x86-64 (x32) is
// not amd64.
func archName(m elf.Machine, c elf.Class) string {
	switch m {
	case elf.EM_X86_64:
		if c != elf.ELFCLASS64 {
			return "amd64p32"
		}
		return "amd64"
	case elf.EM_AARCH64:
		return "arm64"
	case elf.EM_386:
		return "386"
	case elf.EM_ARM:
		return "arm"
	case elf.EM_PPC64:
		return "ppc64le"
	case elf.EM_RISCV:
		return "riscv64"
	case elf.EM_S390:
		return "s390x"
	}
	return strings.ToLower(strings.TrimPrefix(m.String(), "EM_"))
}

// kernelBase is where x86-64 and arm64 kernels are linked; a fixed ET_EXEC
// image up there is a kernel.
const kernelBase = 0xffff000000000000

func (b *Binary) classify() Kind {
	f := b.elf
	if f.Section("__ksymtab") != nil || f.Section("__ksymtab_strings") != nil {
		return KindKernel
	}
	if f.Type == elf.ET_EXEC && f.Entry >= kernelBase {
		return KindKernel
	}
	if f.Section(".go.buildinfo") != nil || f.Section(".gopclntab") != nil || f.Section(".data.rel.ro.gopclntab") != nil {
		return KindGo
	}
	if f.Type == elf.ET_EXEC {
		if s := f.Section(".text"); s != nil && s.Addr >= kernelBase {
			return KindKernel
		}
	}
	return KindC
}

func (b *Binary) isPIE() bool {
	f := b.elf
	if f.Type != elf.ET_DYN {
		return false
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true
		}
	}
	if v, err := f.DynValue(elf.DT_FLAGS_1); err == nil {
		for _, x := range v {
			if x&uint64(elf.DF_1_PIE) != 0 {
				return true
			}
		}
	}
	return false
}

func (b *Binary) isLibrary() bool {
	f := b.elf
	if f.Type != elf.ET_DYN || b.Kind == KindKernel {
		return false
	}
	if v, err := f.DynValue(elf.DT_FLAGS_1); err == nil {
		for _, x := range v {
			if x&uint64(elf.DF_1_PIE) != 0 {
				return false
			}
		}
	}
	if so, err := f.DynString(elf.DT_SONAME); err == nil && len(so) > 0 {
		return true
	}
	return !b.PIE
}

// readBuildID parses the GNU build-id note from any SHT_NOTE section (or
// PT_NOTE segment when sections are stripped).
func (b *Binary) readBuildID() string {
	var notes [][]byte
	for _, s := range b.elf.Sections {
		if s.Type == elf.SHT_NOTE {
			notes = append(notes, b.data[s.Offset:s.Offset+s.FileSize])
		}
	}
	if len(notes) == 0 {
		for _, p := range b.elf.Progs {
			if p.Type == elf.PT_NOTE && p.Off <= uint64(len(b.data)) && p.Filesz <= uint64(len(b.data))-p.Off {
				notes = append(notes, b.data[p.Off:p.Off+p.Filesz])
			}
		}
	}
	bo := b.elf.ByteOrder
	for _, n := range notes {
		for len(n) >= 12 {
			namesz, descsz, typ := uint64(bo.Uint32(n)), uint64(bo.Uint32(n[4:])), bo.Uint32(n[8:])
			n = n[12:]
			nameEnd := (namesz + 3) &^ 3
			descEnd := (descsz + 3) &^ 3
			if nameEnd > uint64(len(n)) || descsz > uint64(len(n))-nameEnd {
				break
			}
			name, desc := n[:namesz], n[nameEnd:nameEnd+descsz]
			if typ == 3 && string(bytes.TrimRight(name, "\x00")) == "GNU" && len(desc) > 0 {
				return hex.EncodeToString(desc)
			}
			if descEnd > uint64(len(n))-nameEnd {
				break
			}
			n = n[nameEnd+descEnd:]
		}
	}
	return ""
}

// ReadAt reads n bytes of the loaded image at link-time virtual address
// vaddr (for disassembly). The bytes alias the mapping: do not modify them.
func (b *Binary) ReadAt(vaddr uint64, n int) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("read %#x: negative length", vaddr)
	}
	for _, s := range b.elf.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Type == elf.SHT_NOBITS || s.Flags&elf.SHF_COMPRESSED != 0 {
			continue
		}
		if vaddr >= s.Addr && vaddr-s.Addr < s.FileSize {
			off := vaddr - s.Addr
			if uint64(n) > s.FileSize-off {
				return nil, fmt.Errorf("read %#x+%d: crosses the end of section %s", vaddr, n, s.Name)
			}
			return b.data[s.Offset+off : s.Offset+off+uint64(n)], nil
		}
	}
	return nil, fmt.Errorf("read %#x: address not in any loaded section of %s", vaddr, b.Path)
}

// maxDecompressed bounds what a compressed section may claim to inflate
// to, so a hostile header cannot make us allocate without limit.
const maxDecompressed = 2 << 30

// Section returns the bytes of the named section: a slice of the mapping
// when stored plainly, or its decompressed contents (computed once) when
// SHF_COMPRESSED. It returns nil, nil when the section is absent. Callers
// must not modify the result.
//
// Old GNU-style compressed debug sections (.zdebug_info: "ZLIB", a
// big-endian size, a zlib stream) are found under their .debug_ name.
func (b *Binary) Section(name string) (data []byte, err error) {
	s := b.elf.Section(name)
	gnu := false
	if s == nil && strings.HasPrefix(name, ".debug_") {
		s, gnu = b.elf.Section(".zdebug_"+strings.TrimPrefix(name, ".debug_")), true
	}
	if s == nil || s.Type == elf.SHT_NOBITS {
		return nil, nil
	}
	raw := b.data[s.Offset : s.Offset+s.FileSize]
	var rel *elf.Section
	if b.Relocatable() && s.Flags&elf.SHF_ALLOC == 0 {
		rel = b.relocationsOf(s)
	}
	if s.Flags&elf.SHF_COMPRESSED == 0 && !gnu && rel == nil {
		return raw, nil
	}
	// Sections inflate once each, and different ones at the same time
	// (debuginfo asks for five at once: 200 ms of zlib on one core for a
	// 20 MB Go binary).
	b.mu.Lock()
	z := b.decomp[name]
	if z == nil {
		z = &inflated{}
		b.decomp[name] = z
	}
	b.mu.Unlock()
	z.once.Do(func() {
		z.data = raw
		if s.Flags&elf.SHF_COMPRESSED != 0 || gnu {
			z.data, z.err = b.inflate(s, raw, gnu)
		}
		// A module's DWARF points into its sections through relocations
		// (.rela.debug_info): without them every address is 0 and every
		// string offset is wrong.
		if z.err == nil && rel != nil {
			z.data, z.err = b.relocate(s, rel, z.data)
		}
	})
	return z.data, z.err
}

// inflated is one decompressed section, or why it could not be.
type inflated struct {
	once sync.Once
	data []byte
	err  error
}

func (b *Binary) inflate(s *elf.Section, raw []byte, gnu bool) (data []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			data, err = nil, &FormatError{Path: b.Path, Msg: fmt.Sprintf("section %s: %v", s.Name, r)}
		}
	}()
	var rd io.Reader
	size := s.Size
	if gnu {
		if len(raw) < 12 || string(raw[:4]) != "ZLIB" {
			return nil, &FormatError{Path: b.Path, Msg: fmt.Sprintf("section %s: bad ZLIB header", s.Name)}
		}
		size = binary.BigEndian.Uint64(raw[4:12])
		zr, err := zlib.NewReader(bytes.NewReader(raw[12:]))
		if err != nil {
			return nil, &FormatError{Path: b.Path, Msg: fmt.Sprintf("decompress %s: %v", s.Name, err)}
		}
		rd = zr
	} else {
		rd = s.Open()
	}
	if size > maxDecompressed || (s.FileSize > 0 && size/s.FileSize > 2000) {
		return nil, &FormatError{Path: b.Path, Msg: fmt.Sprintf("section %s claims %d uncompressed bytes", s.Name, size)}
	}
	// Reserve what a real section inflates to (2-5x) rather than the
	// claimed size, which a hostile header may inflate; the buffer grows
	// if the data really is that large.
	buf := bytes.NewBuffer(make([]byte, 0, min(size, 8*s.FileSize+4096)))
	if _, err := buf.ReadFrom(io.LimitReader(rd, int64(size))); err != nil {
		return nil, &FormatError{Path: b.Path, Msg: fmt.Sprintf("decompress %s: %v", s.Name, err)}
	}
	return buf.Bytes(), nil
}

// HasSection reports whether a section of that name exists.
func (b *Binary) HasSection(name string) bool { return b.elf.Section(name) != nil }
