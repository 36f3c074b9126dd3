package symfile

import (
	"debug/dwarf"
	"encoding/json"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// fixtureSubs describes main.Str and main.Small of the stripped fixture as
// the register ABI places them (Go's ABIInternal integer order).
func fixtureSubs(t *testing.T, funcs []Func) []Sub {
	t.Helper()
	at := map[string]Func{}
	for _, f := range funcs {
		at[f.Name] = f
	}
	str, small, bytes := at["main.Str"], at["main.Small"], at["main.Bytes"]
	if str.Entry == 0 || small.Entry == 0 || bytes.Entry == 0 {
		t.Fatal("the fixture has no main.Str, main.Small or main.Bytes")
	}
	u8, n := ParamType{Kind: KindUnsigned, Name: "uint8", Size: 1}, ParamType{Kind: KindSigned, Name: "int", Size: 8}
	slice := ParamType{Kind: KindStruct, Name: "[]uint8", Size: 24, Members: []Member{
		{Name: "array", Type: ParamType{Kind: KindPointer, Name: "*uint8", Size: 8, Elem: &u8}},
		{Name: "len", Off: 8, Type: n}, {Name: "cap", Off: 16, Type: n}}}
	return []Sub{
		{Name: "main.Bytes", Entry: bytes.Entry, End: bytes.End, Params: []Param{{Name: "b", Type: slice, Regs: []string{"rax", "rbx", "rcx"}}}},
		{Name: "main.Str", Entry: str.Entry, End: str.End, Params: []Param{{Name: "s", Type: ParamType{Kind: KindString, Name: "string", Size: 16}, Regs: []string{"rax", "rbx"}}}},
		{Name: "main.Small", Entry: small.Entry, End: small.End, Params: []Param{
			{Name: "b", Type: ParamType{Kind: KindBool, Name: "bool", Size: 1}, Regs: []string{"rax"}},
			{Name: "u8", Type: ParamType{Kind: KindUnsigned, Name: "uint8", Size: 1}, Regs: []string{"rbx"}},
			{Name: "i16", Type: ParamType{Kind: KindSigned, Name: "int16", Size: 2}, Regs: []string{"rcx"}},
			{Name: "u64", Type: ParamType{Kind: KindUnsigned, Name: "uint64", Size: 8}, Regs: []string{"rdi"}},
			{Name: "i8", Type: ParamType{Kind: KindSigned, Name: "int8", Size: 1}, Regs: []string{"rsi"}},
		}},
	}
}

// paramTypes reads, with the standard library, each described function's
// range and its parameters' types as "name type size" (a struct with its
// members' names and offsets).
func paramTypes(t *testing.T, path string) map[string][]string {
	t.Helper()
	d := testenv.DWARF(t, path)
	out := map[string][]string{}
	var fn string
	for e, r := range testenv.Entries(t, d) {
		switch e.Tag {
		case dwarf.TagInlinedSubroutine, dwarf.TagLexDwarfBlock:
			r.SkipChildren() // parameters of what was inlined into it
		case dwarf.TagSubprogram:
			// An abstract (inlined) copy has no entry: its parameters
			// are not the function's own.
			fn, _ = e.Val(dwarf.AttrName).(string)
			lo, ok := e.Val(dwarf.AttrLowpc).(uint64)
			if !ok {
				fn = ""
			} else if described[fn] {
				out[fn] = append(out[fn], "lowpc "+hex(lo))
			}
		case dwarf.TagFormalParameter:
			// Results are parameters with variable_parameter set.
			if !described[fn] || e.Val(dwarf.AttrVarParam) == true {
				continue
			}
			if o, ok := e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset); ok {
				// The out-of-line copy of a function also inlined:
				// name and type are the abstract DIE's.
				or := d.Reader()
				or.Seek(o)
				var err error
				if e, err = or.Next(); err != nil || e == nil {
					t.Fatalf("%s: abstract origin 0x%x: %v", fn, o, err)
				}
			}
			name, _ := e.Val(dwarf.AttrName).(string)
			off, ok := e.Val(dwarf.AttrType).(dwarf.Offset)
			if !ok {
				t.Fatalf("%s: parameter %q has no type", fn, name)
			}
			typ, err := d.Type(off)
			if err != nil {
				t.Fatalf("%s %s: %v", fn, name, err)
			}
			desc := name + " " + typ.String()
			if s, ok := typ.(*dwarf.StructType); ok {
				for _, m := range s.Field {
					desc += " " + m.Name + "@" + hex(uint64(m.ByteOffset)) + ":" + m.Type.String()
				}
			}
			out[fn] = append(out[fn], desc+" size "+hex(uint64(typ.Size())))
		}
	}
	return out
}

// described are the functions fixtureSubs describes.
var described = map[string]bool{"main.Str": true, "main.Small": true, "main.Bytes": true}

func hex(v uint64) string { b, _ := json.Marshal(v); return string(b) }

// TestSubsAsGoDescribesThem: the DWARF written for main.Str, main.Small
// and main.Bytes says what the unstripped twin's own DWARF says of them (the
// Go linker's): each function's entry, its parameters' names and types,
// a string's and a slice's members and offsets. The word type is there too.
func TestSubsAsGoDescribesThem(t *testing.T) {
	bin, twin := stripped(t, testenv.GoDefault)
	funcs := funcTable(t, bin)
	res, err := Write(Request{Binary: bin, BuildID: readelfBuildID(t, bin), Funcs: funcs, Subs: fixtureSubs(t, funcs), CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	got, want := paramTypes(t, res.File), paramTypes(t, twin)
	for fn := range described {
		if len(want[fn]) < 2 {
			t.Fatalf("the twin's DWARF has no parameters of %s: %v", fn, want[fn])
		}
		if g, w := got[fn], want[fn]; len(g) != len(w) || func() bool {
			for i := range g {
				if g[i] != w[i] {
					return true
				}
			}
			return false
		}() {
			t.Errorf("%s:\n got  %q\n twin %q", fn, g, w)
		}
	}
	word := false
	for r := testenv.DWARF(t, res.File).Reader(); ; {
		e, err := r.Next()
		if err != nil || e == nil {
			break
		}
		if e.Tag == dwarf.TagBaseType && e.Val(dwarf.AttrName) == WordType && e.Val(dwarf.AttrByteSize) == int64(8) {
			word = true
		}
	}
	if !word {
		t.Errorf("no 8-byte %s base type in %s", WordType, res.File)
	}
}

// TestSubsReused: a file describing a function serves a request for it
// (Reuse), not one for another function or another description; writing
// the other keeps both.
func TestSubsReused(t *testing.T) {
	bin, _ := stripped(t, testenv.GoDefault)
	funcs := funcTable(t, bin)
	subs := fixtureSubs(t, funcs)
	req := Request{Binary: bin, BuildID: readelfBuildID(t, bin), Funcs: funcs, Subs: subs[:1], CacheDir: t.TempDir()}
	if _, err := Write(req); err != nil {
		t.Fatal(err)
	}
	if _, ok := Reuse(req); !ok {
		t.Error("Reuse refused the function the file describes")
	}
	other := req
	other.Subs = subs[1:]
	if _, ok := Reuse(other); ok {
		t.Error("Reuse served a function the file does not describe")
	}
	changed := req
	changed.Subs = []Sub{subs[0]}
	changed.Subs[0].Params = []Param{{Name: "s", Type: ParamType{Kind: KindString, Name: "string", Size: 16}, Regs: []string{"rbx", "rcx"}}}
	if _, ok := Reuse(changed); ok {
		t.Error("Reuse served a function described with other registers")
	}
	res, err := Write(other)
	if err != nil {
		t.Fatal(err)
	}
	got := paramTypes(t, res.File)
	if len(got["main.Str"]) == 0 || len(got["main.Small"]) == 0 {
		t.Errorf("after the second write the file describes %v, want both functions", got)
	}
	if _, ok := Reuse(req); !ok {
		t.Error("the second write lost the first function")
	}
}

// FuzzDecodeSubs: a damaged subs section is refused or decodes to
// functions that pass check, never a panic.
func FuzzDecodeSubs(f *testing.F) {
	b, _ := json.Marshal([]Sub{{Name: "main.f", Entry: 0x1000, End: 0x1010, Params: []Param{{Name: "s", Type: ParamType{Kind: KindString, Name: "string", Size: 16}, Regs: []string{"rax", "rbx"}}}}})
	f.Add(b)
	f.Add([]byte(`[{"Name":"x","Entry":1,"End":0}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		subs, ok := decodeSubs(data)
		if !ok {
			return
		}
		for _, s := range subs {
			if err := s.check(); err != nil {
				t.Fatalf("decoded %+v: %v", s, err)
			}
		}
		if _, _, _, err := dwarfSections(subs); err != nil {
			t.Fatalf("decoded subs do not write: %v", err)
		}
	})
}
