package symfile

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Sub is a function whose register parameters the debug file describes in
// DWARF, so that under stap's BPF runtime (no u_register(); only $vars and
// @uregister(N)) a stripped Go binary's arguments read as $name, members
// and all ($s->str, $gp->sched->pc), as in a binary with DWARF, and the
// file has a type for @cast word reads. stap 4.8 evaluates Go locations in location
// list form only, so each parameter gets a list of one range: the whole
// function, where a probe at the entry reads it.
type Sub struct {
	Name       string
	Entry, End uint64
	Params     []Param
}

// Param is one parameter, in registers at the entry.
type Param struct {
	Name string
	Type ParamType
	// Regs hold its 8-byte pieces in order ("rax", "rbx" for a string's
	// pointer and length), spelled as goabi.IntRegs.
	Regs []string
}

// ParamType is what stap needs of a parameter's type: a string is the
// struct {str *uint8; len int} Go's own DWARF gives it, so $s->str and
// $s->len read as in a binary with DWARF; a pointer's pointee (Elem) and
// a struct's Members are only those a probe reads ($gp->sched->pc).
type ParamType struct {
	Kind    TypeKind
	Name    string     // Go's spelling: "int", "uint8", "bool", "string", "main.Name"
	Size    int        // bytes
	Elem    *ParamType `json:",omitempty"`
	Members []Member   `json:",omitempty"`
}

// Member is one member of a described struct.
type Member struct {
	Name string
	Off  int
	Type ParamType
}

// TypeKind is the DWARF encoding a ParamType is written with.
type TypeKind string

const (
	KindSigned   TypeKind = "signed"
	KindUnsigned TypeKind = "unsigned"
	KindBool     TypeKind = "bool"
	KindString   TypeKind = "string"
	KindPointer  TypeKind = "pointer"
	KindStruct   TypeKind = "struct"
)

// maxTypeDepth bounds nested pointers and structs (a damaged subs section
// must not recurse without end).
const maxTypeDepth = 8

// WordType is the 8-byte unsigned base type every file with DWARF carries,
// for @cast reads of a string's words (plan's BPF word type).
const WordType = "uint64"

// dwarfRegs are the DWARF (System V amd64) numbers of the registers Go
// passes integers in.
var dwarfRegs = map[string]byte{"rax": 0, "rdx": 1, "rcx": 2, "rbx": 3, "rsi": 4, "rdi": 5,
	"r8": 8, "r9": 9, "r10": 10, "r11": 11}

// check says why a Sub cannot be described, so a caller's mistake is an
// error, not DWARF that stap misreads.
func (s Sub) check() error {
	if s.Name == "" || s.End <= s.Entry || strings.ContainsRune(s.Name, 0) {
		return fmt.Errorf("symfile: function %q [0x%x, 0x%x) cannot be described", s.Name, s.Entry, s.End)
	}
	for _, p := range s.Params {
		// A string's two words, a struct's (a slice header's three),
		// one register each.
		want := 1
		switch p.Type.Kind {
		case KindString:
			want = 2
		case KindStruct:
			want = p.Type.Size / 8
			if p.Type.Size%8 != 0 || want < 1 || want > len(dwarfRegs) {
				return fmt.Errorf("symfile: %s: struct parameter %s of %d bytes", s.Name, p.Name, p.Type.Size)
			}
		}
		if err := p.Type.check(0); err != nil {
			return fmt.Errorf("symfile: %s: parameter %s: %w", s.Name, p.Name, err)
		}
		if len(p.Regs) != want || p.Name == "" || strings.ContainsRune(p.Name, 0) {
			return fmt.Errorf("symfile: %s: parameter %q cannot be described (%d registers)", s.Name, p.Name, len(p.Regs))
		}
		for _, r := range p.Regs {
			if _, ok := dwarfRegs[r]; !ok {
				return fmt.Errorf("symfile: %s: parameter %s in register %q", s.Name, p.Name, r)
			}
		}
	}
	return nil
}

func (t ParamType) check(depth int) error {
	if depth > maxTypeDepth || t.Name == "" || strings.ContainsRune(t.Name, 0) {
		return fmt.Errorf("type %q cannot be described", t.Name)
	}
	switch t.Kind {
	case KindString:
		return nil
	case KindSigned, KindUnsigned, KindBool:
		if t.Size < 1 || t.Size > 8 {
			return fmt.Errorf("%s of %d bytes", t.Name, t.Size)
		}
		return nil
	case KindPointer:
		if t.Elem == nil {
			return fmt.Errorf("pointer %s to nothing", t.Name)
		}
		return t.Elem.check(depth + 1)
	case KindStruct:
		if t.Size < 0 || t.Size > 1<<30 {
			return fmt.Errorf("struct %s of %d bytes", t.Name, t.Size)
		}
		for _, m := range t.Members {
			if m.Name == "" || strings.ContainsRune(m.Name, 0) || m.Off < 0 || m.Off > 1<<30 {
				return fmt.Errorf("struct %s: member %q at %d", t.Name, m.Name, m.Off)
			}
			if err := m.Type.check(depth + 1); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%s has kind %q", t.Name, t.Kind)
}

// DWARF 4 codes used below.
const (
	tagCompileUnit = 0x11
	tagBaseType    = 0x24
	tagPointerType = 0x0f
	tagStructType  = 0x13
	tagMember      = 0x0d
	tagSubprogram  = 0x2e
	tagFormalParam = 0x05

	atName       = 0x03
	atLanguage   = 0x13
	atLowPC      = 0x11
	atHighPC     = 0x12
	atExternal   = 0x3f
	atEncoding   = 0x3e
	atByteSize   = 0x0b
	atType       = 0x49
	atMemberLoc  = 0x38
	atLocation   = 0x02
	formString   = 0x08
	formData1    = 0x0b
	formUdata    = 0x0f
	formData8    = 0x07
	formAddr     = 0x01
	formRef4     = 0x13
	formFlagPres = 0x19
	formSecOff   = 0x17

	ateBoolean  = 0x02
	ateSigned   = 0x05
	ateUnsigned = 0x07
	langGo      = 0x16
	opReg0      = 0x50
	opPiece     = 0x93
)

// abbrev numbers, in the order abbrevs writes them.
const (
	abCU = 1 + iota
	abBase
	abPointer
	abStruct
	abMember
	abSub
	abParam
)

func abbrevs() []byte {
	var b bytes.Buffer
	one := func(code, tag byte, children bool, attrs ...byte) {
		b.WriteByte(code)
		b.WriteByte(tag)
		if children {
			b.WriteByte(1)
		} else {
			b.WriteByte(0)
		}
		b.Write(attrs)
		b.Write([]byte{0, 0})
	}
	one(abCU, tagCompileUnit, true, atName, formString, atLanguage, formData1, atLowPC, formAddr)
	one(abBase, tagBaseType, false, atName, formString, atEncoding, formData1, atByteSize, formData1)
	one(abPointer, tagPointerType, false, atName, formString, atType, formRef4, atByteSize, formData1)
	one(abStruct, tagStructType, true, atName, formString, atByteSize, formUdata)
	one(abMember, tagMember, false, atName, formString, atType, formRef4, atMemberLoc, formUdata)
	one(abSub, tagSubprogram, true, atName, formString, atLowPC, formAddr, atHighPC, formData8, atExternal, formFlagPres)
	one(abParam, tagFormalParam, false, atName, formString, atType, formRef4, atLocation, formSecOff)
	b.WriteByte(0)
	return b.Bytes()
}

// dwarfSections are the .debug_abbrev, .debug_info and .debug_loc of one
// compile unit describing subs (sorted by entry, as Write keeps them) and
// the word type.
func dwarfSections(subs []Sub) (abbrev, info, loc []byte, err error) {
	le := binary.LittleEndian
	var d, l bytes.Buffer
	d.Write(make([]byte, 11)) // unit header, filled in below
	d.WriteByte(abCU)
	cstr(&d, "stapgen")
	d.WriteByte(langGo)
	d.Write(make([]byte, 8)) // low_pc 0: location lists hold absolute addresses

	// Each type is written once, before the DIE that refers to it: a
	// struct's member types before the struct, whose members are its
	// children.
	types := map[string]uint32{}
	key := func(t ParamType) string { b, _ := json.Marshal(t); return string(b) }
	base := func(name string, enc byte, size int) uint32 {
		k := fmt.Sprintf("base %q %d %d", name, enc, size)
		if off, ok := types[k]; ok {
			return off
		}
		off := uint32(d.Len())
		d.WriteByte(abBase)
		cstr(&d, name)
		d.WriteByte(enc)
		d.WriteByte(byte(size))
		types[k] = off
		return off
	}
	pointer := func(name string, elem uint32) uint32 {
		off := uint32(d.Len())
		d.WriteByte(abPointer)
		cstr(&d, name)
		binary.Write(&d, le, elem)
		d.WriteByte(8)
		return off
	}
	type member struct {
		name string
		typ  uint32
		off  int
	}
	structure := func(name string, size int, ms []member) uint32 {
		off := uint32(d.Len())
		d.WriteByte(abStruct)
		cstr(&d, name)
		uleb(&d, uint64(size))
		for _, m := range ms {
			d.WriteByte(abMember)
			cstr(&d, m.name)
			binary.Write(&d, le, m.typ)
			uleb(&d, uint64(m.off))
		}
		d.WriteByte(0)
		return off
	}
	base(WordType, ateUnsigned, 8)
	var typeOf func(t ParamType) uint32
	typeOf = func(t ParamType) uint32 {
		k := key(t)
		if off, ok := types[k]; ok {
			return off
		}
		var off uint32
		switch t.Kind {
		case KindString:
			u8, n := base("uint8", ateUnsigned, 1), base("int", ateSigned, 8)
			off = structure(t.Name, 16, []member{{"str", pointer("*uint8", u8), 0}, {"len", n, 8}})
		case KindPointer:
			off = pointer(t.Name, typeOf(*t.Elem))
		case KindStruct:
			ms := make([]member, len(t.Members))
			for i, m := range t.Members {
				ms[i] = member{m.Name, typeOf(m.Type), m.Off}
			}
			off = structure(t.Name, t.Size, ms)
		case KindBool:
			off = base(t.Name, ateBoolean, t.Size)
		case KindSigned:
			off = base(t.Name, ateSigned, t.Size)
		default:
			off = base(t.Name, ateUnsigned, t.Size)
		}
		types[k] = off
		return off
	}
	for _, s := range subs {
		if err := s.check(); err != nil {
			return nil, nil, nil, err
		}
		refs := make([]uint32, len(s.Params))
		for i, p := range s.Params {
			refs[i] = typeOf(p.Type)
		}
		d.WriteByte(abSub)
		cstr(&d, s.Name)
		binary.Write(&d, le, s.Entry)
		binary.Write(&d, le, s.End-s.Entry)
		for i, p := range s.Params {
			d.WriteByte(abParam)
			cstr(&d, p.Name)
			binary.Write(&d, le, refs[i])
			binary.Write(&d, le, uint32(l.Len()))
			var expr []byte
			for _, r := range p.Regs {
				expr = append(expr, opReg0+dwarfRegs[r])
				if len(p.Regs) > 1 {
					expr = append(expr, opPiece, 8)
				}
			}
			binary.Write(&l, le, s.Entry)
			binary.Write(&l, le, s.End)
			binary.Write(&l, le, uint16(len(expr)))
			l.Write(expr)
			l.Write(make([]byte, 16)) // end of list
		}
		d.WriteByte(0)
	}
	d.WriteByte(0)
	info = d.Bytes()
	le.PutUint32(info[0:], uint32(len(info)-4))
	le.PutUint16(info[4:], 4) // version; abbrev offset 0
	info[10] = 8              // address size
	return abbrevs(), info, l.Bytes(), nil
}

func uleb(b *bytes.Buffer, v uint64) {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			c |= 0x80
		}
		b.WriteByte(c)
		if v == 0 {
			return
		}
	}
}

func cstr(b *bytes.Buffer, s string) {
	b.WriteString(s)
	b.WriteByte(0)
}

// mergeSubs is old with new's functions added or replacing theirs (by
// entry), sorted by entry.
func mergeSubs(old, add []Sub) []Sub {
	by := map[uint64]Sub{}
	for _, s := range old {
		by[s.Entry] = s
	}
	for _, s := range add {
		by[s.Entry] = s
	}
	out := make([]Sub, 0, len(by))
	for _, s := range by {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Sub) int { return cmp.Compare(a.Entry, b.Entry) })
	return out
}
