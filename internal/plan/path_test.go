package plan

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/spec"
)

// The kernel's struct qstr (include/linux/dcache.h): hash and len in an
// anonymous struct inside an anonymous union, then name.
var (
	tU32   = &debuginfo.Type{Kind: debuginfo.KindUint, Name: "u32", Size: 4}
	tU64   = &debuginfo.Type{Kind: debuginfo.KindUint, Name: "u64", Size: 8}
	tUChar = &debuginfo.Type{Kind: debuginfo.KindUint, Name: "unsigned char", Size: 1, Char: true}
	tQstr  = &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "struct qstr", Size: 16, Fields: []debuginfo.Field{
		{Type: &debuginfo.Type{Kind: debuginfo.KindUnion, Size: 8, Fields: []debuginfo.Field{
			{Type: &debuginfo.Type{Kind: debuginfo.KindStruct, Size: 8, Fields: []debuginfo.Field{
				{Name: "hash", Type: tU32}, {Name: "len", Type: tU32, Offset: 4}}}},
			{Name: "hash_len", Type: tU64}}}},
		{Name: "name", Type: &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "unsigned char const*", Size: 8, Elem: tUChar}, Offset: 8}}}
	tQstrP  = &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "struct qstr const*", Size: 8, Elem: tQstr}
	tVoidP  = &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "void*", Size: 8}
	tGetdnt = &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "struct getdents_callback64", Size: 40, Fields: []debuginfo.Field{
		{Name: "ctx", Type: &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "struct dir_context", Size: 16}},
		{Name: "current_dir", Type: tVoidP, Offset: 16}, {Name: "prev_reclen", Type: tInt, Offset: 24},
		{Name: "count", Type: tInt, Offset: 28}, {Name: "error", Type: tInt, Offset: 32}}}
)

type types map[string]*debuginfo.Type

func (ts types) CastType(name, module string) (*debuginfo.Type, string, error) {
	if module != "" && module != "kernel" {
		return nil, "", errors.New("other module")
	}
	if t, ok := ts[name]; ok {
		return t, "kernel", nil
	}
	return nil, "", errors.New("no type " + name)
}

func TestResolvePath(t *testing.T) {
	vals := map[string]ref{
		"name": varRef("name", tQstrP),
		"ctx":  varRef("ctx", tVoidP),
		"n":    varRef("n", tInt),
		"q":    {typ: tQstr, addr: Reg{"rdi"}},
		"e":    {typ: tVoidP, v: &Var{Name: "e", Entry: true}},
	}
	b := &builder{in: Inputs{Types: types{"struct getdents_callback64": tGetdnt, "struct qstr": tQstr, "u32": tU32}}}
	for _, tc := range []struct {
		path string
		want Expr
		typ  string
		err  string
	}{
		{path: "name->len", want: Var{Name: "name", Steps: []VarStep{{Member: "len"}}}, typ: "u32"},
		{path: "name.hash_len", want: Var{Name: "name", Steps: []VarStep{{Member: "hash_len"}}}, typ: "u64"},
		{path: "name.name", want: Var{Name: "name", Steps: []VarStep{{Member: "name"}}}, typ: "unsigned char const*"},
		// Go-style memory reads add the anonymous members' offsets.
		{path: "q.len", want: Mem{Addr: Reg{"rdi"}, Off: 4, Size: 4}, typ: "u32"},
		{path: "q.name", want: Mem{Addr: Reg{"rdi"}, Off: 8, Size: 8}, typ: "unsigned char const*"},
		{path: "name.lenx", err: "members: hash, len, hash_len, name"},
		{path: `@cast(ctx, "struct getdents_callback64")->count`, typ: "long int",
			want: Var{Of: Cast{X: Var{Name: "ctx"}, Type: "struct getdents_callback64", Module: "kernel"}, Steps: []VarStep{{Member: "count"}}}},
		{path: `ctx:(struct getdents_callback64@kernel).ctx`, typ: "struct dir_context",
			want: Var{Of: Cast{X: Var{Name: "ctx"}, Type: "struct getdents_callback64", Module: "kernel"}, Steps: []VarStep{{Member: "ctx"}}}},
		{path: `n:(struct qstr).len`, typ: "u32",
			want: Var{Of: Cast{X: Var{Name: "n"}, Type: "struct qstr", Module: "kernel"}, Steps: []VarStep{{Member: "len"}}}},
		// At a return, an entry value's cast chain is read at the entry.
		{path: `e:(struct getdents_callback64).count`, typ: "long int",
			want: Var{Of: Cast{X: Var{Name: "e"}, Type: "struct getdents_callback64", Module: "kernel"}, Steps: []VarStep{{Member: "count"}}, Entry: true}},
		{path: `q.hash_len:(struct qstr).len`, typ: "u32", want: Mem{Addr: Mem{Addr: Reg{"rdi"}, Size: 8}, Off: 4, Size: 4}},
		{path: `ctx:(struct getdents_callback64).counts`, err: "has no member \"counts\" (members: ctx, current_dir, prev_reclen, count, error)"},
		{path: `ctx:(struct getdents_callback).count`, err: "no type struct getdents_callback"},
		{path: `ctx:(u32).count`, err: "names a struct or union type"},
		{path: `name.name:(struct qstr@overlay).len`, err: "other module"},
		{path: `q:(struct qstr).len`, err: "only pointers and integers hold an address"},
	} {
		p, err := spec.ParsePath(tc.path)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		r, err := b.resolvePath(vals, []string{"name", "ctx", "n", "q"}, p)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrRefused) {
				t.Errorf("%s: err %v, want %q", tc.path, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		var got Expr
		if r.v != nil {
			got = *r.v
		} else {
			got, err = r.word(0, sizeOf(r.typ), false)
			if err != nil {
				t.Errorf("%s: %v", tc.path, err)
				continue
			}
		}
		if !reflect.DeepEqual(got, tc.want) || r.typ.Name != tc.typ {
			t.Errorf("%s = %#v (%s), want %#v (%s)", tc.path, got, r.typ.Name, tc.want, tc.typ)
		}
	}
}

// TestBigStructSuggestions: a refusal on a struct of many members names
// the nearest ones rather than all of them.
func TestBigStructSuggestions(t *testing.T) {
	big := &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "struct inode"}
	for i, n := range []string{"i_mode", "i_opflags", "i_uid", "i_gid", "i_flags", "i_acl", "i_default_acl", "i_op", "i_sb",
		"i_mapping", "i_security", "i_ino", "i_nlink", "i_rdev", "i_size", "i_atime", "i_mtime", "i_ctime", "i_lock", "i_bytes"} {
		big.Fields = append(big.Fields, debuginfo.Field{Name: n, Type: tInt, Offset: int64(8 * i)})
	}
	b := &builder{}
	p, _ := spec.ParsePath("n.i_inode")
	_, err := b.resolvePath(map[string]ref{"n": varRef("n", &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "struct inode*", Elem: big})}, nil, p)
	if err == nil || !strings.Contains(err.Error(), "(similar: ") || !strings.Contains(err.Error(), "i_ino") || !strings.Contains(err.Error(), "20 members") || strings.Contains(err.Error(), "i_bytes") {
		t.Fatalf("err = %v", err)
	}
}

func TestCastWithoutTypes(t *testing.T) {
	b := &builder{}
	p, _ := spec.ParsePath("ctx:(struct x).a")
	_, err := b.resolvePath(map[string]ref{"ctx": varRef("ctx", tVoidP)}, nil, p)
	if err == nil || !strings.Contains(err.Error(), "casts need") {
		t.Fatalf("err = %v", err)
	}
}

// TestWhole: $ prints one level, $$ follows nested structs and pointers to
// the depth; anonymous members print by their own names.
func TestWhole(t *testing.T) {
	tNode := &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "struct node", Size: 32}
	tNodeP := &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "struct node*", Size: 8, Elem: tNode}
	tNode.Fields = []debuginfo.Field{{Name: "q", Type: tQstr}, {Name: "next", Type: tNodeP, Offset: 16}, {Name: "id", Type: tInt, Offset: 24}}
	for _, tc := range []struct {
		path  string
		depth int
		want  []string // name path-from-whole
	}{
		{"name$", 1, []string{"name.hash hash", "name.len len", "name.hash_len hash_len", "name.name name"}},
		{"n$", 1, []string{"n.next next", "n.id id"}},
		{"n$$", 1, []string{"n.q.hash q/hash", "n.q.len q/len", "n.q.hash_len q/hash_len", "n.q.name q/name",
			"n.next next", "n.next.next next/*/next", "n.next.id next/*/id", "n.id id"}},
		{"n->next$", 1, []string{"n.next.next next", "n.next.id id"}},
	} {
		p, err := spec.ParsePath(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		var notes []string
		b := &builder{plan: &Plan{Limits: spec.Limits{Depth: tc.depth, StringLen: 64, Elems: 4}}, em: emitter{kernel: true, notes: &notes}}
		fs, err := b.selectFields(map[string]ref{"name": varRef("name", tQstrP), "n": varRef("n", tNodeP)}, nil, []spec.Path{p})
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		var got []string
		for _, f := range fs {
			if f.Part == nil || f.Part.Whole != p.String() {
				t.Fatalf("%s: field %s has part %+v", tc.path, f.Name, f.Part)
			}
			var steps []string
			for _, s := range f.Part.Path {
				steps = append(steps, s.Name)
			}
			got = append(got, f.Name+" "+strings.Join(steps, "/"))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.path, got, tc.want)
		}
	}
}
