package debuginfo

import (
	"debug/dwarf"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// TestGoModel checks kinds, sizes and layout against the fixture's source
// (internal/testenv/fixtures/gofix/main.go) and the Go ABI's fixed layouts.
func TestGoModel(t *testing.T) {
	ix := openIndex(t, testenv.GoFixture(t, testenv.GoDefault))
	if !ix.GoRegABI || !strings.Contains(ix.GoProducer, "Go cmd/compile") {
		t.Errorf("producer %q regabi=%v", ix.GoProducer, ix.GoRegABI)
	}
	param := func(fn string, i int) *Type {
		t.Helper()
		fs, err := ix.Lookup(fn)
		if err != nil || len(fs) != 1 {
			t.Fatalf("Lookup(%s) = %v, %v", fn, fs, err)
		}
		if i >= len(fs[0].Params) {
			t.Fatalf("%s has %d params", fn, len(fs[0].Params))
		}
		return fs[0].Params[i].Type
	}
	type want struct {
		kind  Kind
		size  int64
		name  string
		goNam string
	}
	cases := []struct {
		fn string
		i  int
		w  want
	}{
		{"main.Str", 0, want{KindString, 16, "struct string", "string"}},
		{"main.Bytes", 0, want{KindSlice, 24, "struct []uint8", "[]uint8"}},
		{"main.Strs", 0, want{KindSlice, 24, "struct []string", "[]string"}},
		{"main.Iface", 0, want{KindInterface, 16, "interface {}", "interface {}"}},
		{"main.Shaped", 0, want{KindInterface, 16, "main.Shape", "main.Shape"}},
		{"main.Err", 0, want{KindInterface, 16, "error", "error"}},
		{"main.Map", 0, want{KindMap, 8, "map[string]int", "map[string]int"}},
		{"main.Chan", 0, want{KindChan, 8, "chan int", "chan int"}},
		{"main.Ptr", 0, want{KindPointer, 8, "main.Opts*", "*main.Opts"}},
		{"main.ByValue", 0, want{KindStruct, 56, "main.Opts", "main.Opts"}},
		{"main.Array", 0, want{KindArray, 24, "int[]", "[3]int"}},
		{"main.Float", 0, want{KindFloat, 8, "float64", "float64"}},
		{"main.Float", 1, want{KindFloat, 4, "float32", "float32"}},
		{"main.Small", 0, want{KindBool, 1, "bool", "bool"}},
		{"main.Small", 2, want{KindInt, 2, "int16", "int16"}},
		{"main.Small", 3, want{KindUint, 8, "uint64", "uint64"}},
		{"main.(*Rect).Area", 0, want{KindPointer, 8, "main.Rect*", "*main.Rect"}},
		{"main.Rect.Scale", 0, want{KindStruct, 16, "main.Rect", "main.Rect"}},
		{"main.Adder.func1", 0, want{KindInt, 8, "int", "int"}},
	}
	for _, c := range cases {
		ty := param(c.fn, c.i)
		got := want{ty.Kind, ty.Size, ty.Name, ty.GoName}
		if got != c.w {
			t.Errorf("%s param %d: %+v, want %+v", c.fn, c.i, got, c.w)
		}
	}
	if ty := param("main.Iface", 0); !ty.EmptyInterface {
		t.Error("interface {} not marked empty")
	}
	if ty := param("main.Shaped", 0); ty.EmptyInterface {
		t.Error("main.Shape marked empty")
	}
	m := param("main.Map", 0)
	if m.Key == nil || m.Key.Kind != KindString || m.Elem == nil || m.Elem.Name != "int" {
		t.Errorf("map key/elem: %+v / %+v", m.Key, m.Elem)
	}
	if el := param("main.Bytes", 0).Elem; el == nil || el.Name != "uint8" {
		t.Errorf("[]uint8 elem %+v", el)
	}
	if a := param("main.Array", 0); a.Count != 3 || a.Elem.Name != "int" {
		t.Errorf("[3]int: count %d elem %v", a.Count, a.Elem.Name)
	}
	// type Opts struct { Name string; Flags []string; Mode uint32; Next *Opts }
	o := param("main.Ptr", 0).Elem
	wantFields := []struct {
		name string
		off  int64
		kind Kind
	}{{"Name", 0, KindString}, {"Flags", 16, KindSlice}, {"Mode", 40, KindUint}, {"Next", 48, KindPointer}}
	if len(o.Members()) != len(wantFields) {
		t.Fatalf("Opts fields: %+v", o.Members())
	}
	for i, w := range wantFields {
		f := o.Members()[i]
		if f.Name != w.name || f.Offset != w.off || f.Type.Kind != w.kind {
			t.Errorf("Opts field %d: %s@%d %v, want %s@%d %v", i, f.Name, f.Offset, f.Type.Kind, w.name, w.off, w.kind)
		}
	}
	if o.Members()[3].Type.Elem != o {
		t.Error("Opts.Next does not point back at Opts (cycle not closed)")
	}

	// Results: func Multi(n int, s string) (count int, msg string, err error)
	fs, _ := ix.Lookup("main.Multi")
	var rs []string
	for _, r := range fs[0].Results {
		rs = append(rs, r.Name+":"+r.Type.GoName)
		if !r.Result {
			t.Errorf("%s not marked Result", r.Name)
		}
	}
	if got := strings.Join(rs, " "); got != "count:int msg:string err:error" {
		t.Errorf("Multi results %q", got)
	}
	// Generic shapes: the dictionary is not a parameter.
	sum, err := ix.Lookup("main.Sum[go.shape.int]")
	if err != nil || len(sum[0].Params) != 1 || sum[0].Params[0].Name != "xs" || sum[0].Params[0].Type.Kind != KindSlice {
		t.Errorf("main.Sum[go.shape.int] = %+v, %v", sum, err)
	}
}

// goidFromStdlib walks the DWARF with the standard library only, as an
// independent check of GoidOffset and of TypeByName.
func goidFromStdlib(t *testing.T, path string) int64 {
	for e, r := range testenv.Entries(t, testenv.DWARF(t, path)) {
		if e.Tag == dwarf.TagStructType && e.Val(dwarf.AttrName) == "runtime.g" {
			for {
				c, _ := r.Next()
				if c == nil || c.Tag == 0 {
					t.Fatal("goid not found")
				}
				if c.Val(dwarf.AttrName) == "goid" {
					return c.Val(dwarf.AttrDataMemberLoc).(int64)
				}
			}
		}
	}
	t.Fatal("runtime.g not found")
	return 0
}

func TestGoidOffset(t *testing.T) {
	for _, v := range []testenv.GoVariant{testenv.GoDefault, testenv.GoNoOpt} {
		bin := testenv.GoFixture(t, v)
		ix := openIndex(t, bin)
		got, err := ix.GoidOffset()
		want := goidFromStdlib(t, bin)
		if err != nil || got != want {
			t.Errorf("%s: GoidOffset = %d, %v; stdlib walk says %d", v, got, err, want)
		}
		g, err := ix.TypeByName("runtime.g")
		if err != nil || g.Kind != KindStruct || g.Name != "runtime.g" {
			t.Errorf("TypeByName(runtime.g) = %+v, %v", g, err)
		}
	}
}

// TestCModel: struct node has two bitfields; their offsets must follow
// DW_AT_data_bit_offset (godwarf gets them wrong), checked against the C
// layout rules for the fixture's struct.
func TestCModel(t *testing.T) {
	ix := openIndex(t, testenv.CFixture(t, testenv.CO0))
	fs, err := ix.Lookup("walk")
	if err != nil {
		t.Fatal(err)
	}
	n := fs[0].Params[0].Type
	if n.Kind != KindPointer || n.Name != "struct node*" || n.Elem.Kind != KindStruct {
		t.Fatalf("walk param: %+v", n)
	}
	// struct node { const char *name; struct point pt; struct node *next;
	//               unsigned flags:3; unsigned mode:5; int tags[4]; }
	want := []struct {
		name             string
		off, bits, bitOf int64
		typ              string
	}{
		{"name", 0, 0, 0, "char const*"},
		{"pt", 8, 0, 0, "struct point"},
		{"next", 16, 0, 0, "struct node*"},
		{"flags", 24, 3, 192, "unsigned int"},
		{"mode", 24, 5, 195, "unsigned int"},
		{"tags", 28, 0, 0, "int[]"},
	}
	fields := n.Elem.Members()
	if len(fields) != len(want) {
		t.Fatalf("fields %+v", fields)
	}
	for i, w := range want {
		f := fields[i]
		if f.Name != w.name || f.Offset != w.off || f.BitSize != w.bits || f.BitOffset != w.bitOf || f.Type.Name != w.typ {
			t.Errorf("field %d: %s@%d bits %d@%d %q; want %+v", i, f.Name, f.Offset, f.BitSize, f.BitOffset, f.Type.Name, w)
		}
	}
	if !fields[0].Type.Elem.Char {
		t.Error("char not marked Char")
	}
	if fields[5].Type.Count != 4 {
		t.Errorf("tags count %d", fields[5].Type.Count)
	}
	p, err := ix.Lookup("paint")
	if err != nil {
		t.Fatal(err)
	}
	c := p[0].Params[0].Type
	if c.Kind != KindEnum || len(c.Enumerators) != 3 || c.Enumerators[1] != (Enumerator{Name: "GREEN", Value: 5}) {
		t.Errorf("enum color: %+v", c)
	}
	if u := p[0].Params[4].Type; u.Name != "ulong_t" || u.Kind != KindUint || u.Size != 8 {
		t.Errorf("ulong_t: %+v", u)
	}
}
