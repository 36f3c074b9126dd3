package target

import (
	"bytes"
	"debug/elf"
	"encoding/hex"
	"strings"
)

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
