package dwtype

import (
	"debug/dwarf"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo/raw"
)

// fields reads the members of a struct or union. Children are collected
// first because converting a member's type moves the reader.
func (tr *Reader) fields(t *Type, e *dwarf.Entry, r *dwarf.Reader, lang Lang, depth int) error {
	type member struct {
		name    string
		typ     dwarf.Offset
		off     int64
		bitSize int64
		bitOff  int64
	}
	var ms []member
	err := raw.Children(r, e, func(c *dwarf.Entry) {
		if c.Tag != dwarf.TagMember {
			return
		}
		m := member{}
		m.name, _ = c.Val(dwarf.AttrName).(string)
		m.typ, _ = c.Val(dwarf.AttrType).(dwarf.Offset)
		m.off = memberOffset(c.Val(dwarf.AttrDataMemberLoc))
		m.bitSize, _ = c.Val(dwarf.AttrBitSize).(int64)
		if m.bitSize > 0 {
			if dbo, ok := c.Val(dwarf.AttrDataBitOffset).(int64); ok {
				m.bitOff = dbo
				if c.Val(dwarf.AttrDataMemberLoc) == nil {
					m.off = dbo / 8
				}
			} else if bo, ok := c.Val(dwarf.AttrBitOffset).(int64); ok {
				// DWARF 2/3: bit_offset counts from the most significant
				// bit of the storage unit of byte_size (little endian).
				bs, _ := c.Val(dwarf.AttrByteSize).(int64)
				m.bitOff = m.off*8 + bs*8 - bo - m.bitSize
			}
		}
		ms = append(ms, m)
	})
	if err != nil {
		return err
	}
	for _, m := range ms {
		ft := Void()
		if m.typ != 0 {
			x, err := tr.convert(m.typ, lang, depth+1)
			if err != nil {
				return err
			}
			ft = x
		}
		t.Fields = append(t.Fields, Field{Name: m.name, Type: ft, Offset: m.off, BitSize: m.bitSize, BitOffset: m.bitOff})
	}
	return nil
}

func memberOffset(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case []byte: // DWARF 2: DW_OP_plus_uconst N
		if len(x) > 1 && x[0] == 0x23 {
			n, _ := raw.ULEB128(x[1:])
			return int64(n)
		}
	}
	return 0
}

// subranges returns the element counts of an array DIE's subrange
// children (-1 when unknown: a flexible array member).
func (tr *Reader) subranges(e *dwarf.Entry, r *dwarf.Reader) []int64 {
	var out []int64
	raw.Children(r, e, func(c *dwarf.Entry) {
		if c.Tag != dwarf.TagSubrangeType {
			return
		}
		n := int64(-1)
		if v, ok := c.Val(dwarf.AttrCount).(int64); ok {
			n = v
		} else if v, ok := c.Val(dwarf.AttrUpperBound).(int64); ok {
			n = v + 1
		}
		out = append(out, n)
	})
	return out
}

// funcSpelling renders a subroutine type as stap does:
// "int (*) (struct dentry*, umode_t, void*)".
func (tr *Reader) funcSpelling(t *Type, e *dwarf.Entry, r *dwarf.Reader, lang Lang, depth int) {
	var params []dwarf.Offset
	varargs := false
	raw.Children(r, e, func(c *dwarf.Entry) {
		switch c.Tag {
		case dwarf.TagFormalParameter:
			o, _ := c.Val(dwarf.AttrType).(dwarf.Offset)
			params = append(params, o)
		case dwarf.TagUnspecifiedParameters:
			varargs = true
		}
	})
	conv := func(o dwarf.Offset) *Type {
		if o == 0 {
			return Void()
		}
		x, err := tr.convert(o, lang, depth+1)
		if err != nil {
			return Void()
		}
		return x
	}
	ret := Void()
	if o, ok := e.Val(dwarf.AttrType).(dwarf.Offset); ok {
		ret = conv(o)
	}
	var pts []*Type
	for _, o := range params {
		pts = append(pts, conv(o))
	}
	tr.namers[t] = func() {
		tr.name(ret)
		var ps []string
		for _, p := range pts {
			tr.name(p)
			ps = append(ps, p.Name)
		}
		if varargs {
			ps = append(ps, "...")
		}
		if len(ps) == 0 {
			ps = []string{"void"}
		}
		t.Name = ret.Name + " (*) (" + strings.Join(ps, ", ") + ")"
	}
}

func baseKind(enc int64, lang Lang) (Kind, bool) {
	switch enc {
	case 0x02: // DW_ATE_boolean
		return KindBool, false
	case 0x03: // DW_ATE_complex_float
		return KindComplex, false
	case 0x04: // DW_ATE_float
		return KindFloat, false
	case 0x05: // DW_ATE_signed
		return KindInt, false
	case 0x06: // DW_ATE_signed_char
		return KindInt, lang == LangC
	case 0x07, 0x10: // DW_ATE_unsigned, DW_ATE_UTF
		return KindUint, false
	case 0x08: // DW_ATE_unsigned_char
		return KindUint, lang == LangC
	}
	return KindUnsupported, false
}

func goNameIf(lang Lang, name string) string {
	if lang == LangGo {
		return name
	}
	return ""
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
