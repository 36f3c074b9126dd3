package debuginfo

import (
	"debug/dwarf"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// The facts of FIELD-NOTES.md for the Debian 6.1 cloud kernel.
func TestVmlinuxLookup(t *testing.T) {
	ix := openIndex(t, testenv.Vmlinux(t))
	fs, err := ix.Lookup("lookup_one_qstr_excl")
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 {
		t.Fatalf("%d functions", len(fs))
	}
	f := fs[0]
	var got []string
	for _, p := range f.Params {
		got = append(got, p.Name+":"+p.Type.Name)
	}
	want := "name:struct qstr const* base:struct dentry* flags:unsigned int"
	if strings.Join(got, " ") != want || f.File != "fs/namei.c" || f.Lang != LangC || f.Inlined {
		t.Fatalf("lookup_one_qstr_excl@%s: %s; want %s", f.File, strings.Join(got, " "), want)
	}
	// x86-64 SysV: the first three integer arguments in rdi, rsi, rdx.
	for i, reg := range []string{"reg rdi", "reg rsi", "reg rdx"} {
		if f.Params[i].Location != reg {
			t.Errorf("param %d at %q, want %q", i, f.Params[i].Location, reg)
		}
	}
	q := f.Params[0].Type.Elem // struct qstr const
	if q.Kind != KindStruct || len(q.Members()) == 0 || q.Members()[len(q.Members())-1].Name != "name" {
		t.Errorf("struct qstr: %+v", q)
	}
	code, err := ix.Code(f)
	if err != nil || len(code) != int(f.End-f.Entry) {
		t.Errorf("Code: %d bytes, %v", len(code), err)
	}
}

// TestVmlinuxAgainstStap compares several kernel functions with stap -L
// (parameters are a prefix of stap's list, which adds locals in scope).
func TestVmlinuxAgainstStap(t *testing.T) {
	vm := testenv.Vmlinux(t)
	testenv.NeedStap(t)
	tree := buildTree(t, testenv.KernelRelease(), vm)
	names := []string{"vfs_read", "do_sys_openat2", "lookup_one_qstr_excl", "filename_create",
		"vfs_get_super", "vfs_fstatat", "vfs_getattr", "tcp_sendmsg", "kthread_create_on_node", "vfs_fileattr_set"}
	var probes []string
	for _, n := range names {
		probes = append(probes, fmt.Sprintf("kernel.function(%q)", n))
	}
	// stap -L lists only its first argument; a comma list is one probe.
	stap := stapList(t, tree, strings.Join(probes, ","))
	ix := openIndex(t, vm)
	seen := map[string]bool{}
	for _, s := range stap {
		fs, err := ix.Lookup(s.Name)
		if err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		var f *Function
		for _, c := range fs {
			if c.File == s.File && fmt.Sprint(c.Line) == s.Line {
				f = c
			}
		}
		if f == nil {
			t.Errorf("%s@%s:%s: no function there (have %d)", s.Name, s.File, s.Line, len(fs))
			continue
		}
		seen[s.Name] = true
		var got []stapVar
		for _, p := range f.Params {
			if stapListed(p) {
				got = append(got, stapVar{p.Name, p.Type.Name})
			}
		}
		if len(got) > len(s.Vars) || varsString(got) != varsString(s.Vars[:len(got)]) {
			t.Errorf("%s:\n got %s\nstap %s", s.Name, varsString(got), varsString(s.Vars))
		}
	}
	for _, n := range names {
		if !seen[n] {
			t.Errorf("%s: not compared (stap did not list it)", n)
		}
	}

	// Every function of two whole source files: a wide sample of types.
	compared := 0
	for _, s := range stapList(t, tree, `kernel.function("*@fs/namei.c"),kernel.function("*@net/ipv4/tcp.c")`) {
		if s.File == "" {
			continue // .cold parts are listed without a file
		}
		fs, err := ix.Lookup(s.Name)
		if err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		for _, f := range fs {
			if f.File != s.File || fmt.Sprint(f.Line) != s.Line || f.Inlined {
				continue // inline instances list their vars in instance order
			}
			compared++
			var got []stapVar
			var locs []string
			for _, p := range f.Params {
				if stapListed(p) {
					got = append(got, stapVar{p.Name, p.Type.Name})
					locs = append(locs, p.Location)
				}
			}
			if len(got) <= len(s.Vars) && varsString(got) == varsString(s.Vars[:len(got)]) {
				continue
			}
			// stap prints one line per name@file:line; for a function that
			// also has inline instances the variables may be those of an
			// instance (some parameters constant-folded, other order).
			// Then every parameter stap names must have our type.
			if isInlineCopy(t, ix, f) {
				types := map[string]string{}
				for _, p := range f.Params {
					types[p.Name] = p.Type.Name
				}
				for _, v := range s.Vars {
					if ty, ok := types[v.Name]; ok && ty != v.Type {
						t.Errorf("%s: $%s is %s, stap says %s", s.Name, v.Name, ty, v.Type)
					}
				}
				continue
			}
			t.Errorf("%s:\n got %s %q\nstap %s", s.Name, varsString(got), locs, varsString(s.Vars))
		}
	}
	if compared < 150 {
		t.Errorf("only %d functions of fs/namei.c and net/ipv4/tcp.c compared", compared)
	}
	t.Logf("%d functions of fs/namei.c and net/ipv4/tcp.c compared with stap -L", compared)
}

// isInlineCopy reports whether f's DIE is an out-of-line copy of an
// inline function (it has DW_AT_abstract_origin).
func isInlineCopy(t *testing.T, ix *Index, f *Function) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	names := ix.nameIndex()
	for _, r := range names.ByName[f.Name] {
		if r.LowPC != f.Entry {
			continue
		}
		fv, err := ix.dw.Full()
		if err != nil {
			t.Fatal(err)
		}
		rd := fv.D.Reader()
		rd.Seek(r.Off)
		e, err := rd.Next()
		return err == nil && e != nil && e.Val(dwarf.AttrAbstractOrigin) != nil
	}
	return false
}

func TestVmlinuxSuggest(t *testing.T) {
	ix := openIndex(t, testenv.Vmlinux(t))
	cases := []struct{ q, want string }{
		{"__lookup_hash", "lookup_one_qstr_excl"}, // renamed in 6.x
		{"lookup_one_qstr_exc", "lookup_one_qstr_excl"},
		{"vfs_reed", "vfs_read"},
		{"qstr_excl_lookup_one", "lookup_one_qstr_excl"}, // words reordered
	}
	for _, c := range cases {
		_, err := ix.Lookup(c.q)
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			t.Errorf("Lookup(%s) = %v", c.q, err)
			continue
		}
		found := false
		for _, n := range nf.Near {
			found = found || n == c.want
		}
		if !found {
			t.Errorf("Lookup(%s) suggests %v, want %s among them", c.q, nf.Near, c.want)
		}
	}
}

func TestVmlinuxMatch(t *testing.T) {
	ix := openIndex(t, testenv.Vmlinux(t))
	fs, err := ix.Match("lookup_one*")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fs {
		names = append(names, f.Name)
		if !strings.HasPrefix(f.Name, "lookup_one") {
			t.Errorf("%s does not match", f.Name)
		}
	}
	if !sort.StringsAreSorted(names) || !strings.Contains(strings.Join(names, " "), "lookup_one_qstr_excl") {
		t.Errorf("Match(lookup_one*) = %v", names)
	}
	// An inline-only function is found by exact name through the index.
	in, err := ix.Lookup("vfs_dedupe_get_folio")
	if err != nil || !in[0].Inlined || len(in[0].Params) != 2 || in[0].Params[0].Location != "inlined" {
		t.Errorf("vfs_dedupe_get_folio = %+v, %v", in, err)
	}
}

// TestVmlinuxBitfields checks our bitfield offsets in struct sk_buff
// against the standard library's own type decoder on the same DIE.
func TestVmlinuxBitfields(t *testing.T) {
	ix := openIndex(t, testenv.Vmlinux(t))
	ours, err := ix.TypeByName("struct sk_buff")
	if err != nil {
		t.Fatal(err)
	}
	off := ix.names.Types["struct sk_buff"]
	fv, err := ix.dw.Full()
	if err != nil {
		t.Fatal(err)
	}
	st, err := fv.D.Type(off)
	if err != nil {
		t.Fatal(err)
	}
	ref := st.(*dwarf.StructType)
	if len(ref.Field) != len(ours.Members()) {
		t.Fatalf("%d fields, stdlib %d", len(ours.Members()), len(ref.Field))
	}
	bits := 0
	for i, rf := range ref.Field {
		f := ours.Members()[i]
		if f.Name != rf.Name || f.BitSize != rf.BitSize || (rf.BitSize > 0 && f.BitOffset != rf.DataBitOffset) {
			t.Errorf("field %d: %s bits %d@%d; stdlib %s bits %d@%d", i, f.Name, f.BitSize, f.BitOffset, rf.Name, rf.BitSize, rf.DataBitOffset)
		}
		if rf.BitSize > 0 {
			bits++
		}
	}
	if bits == 0 {
		t.Error("struct sk_buff has no bitfields here?")
	}
}

func BenchmarkLookupVmlinux(b *testing.B) {
	vm := testenv.Vmlinux(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix := openIndex(b, vm)
		if _, err := ix.Lookup("lookup_one_qstr_excl"); err != nil {
			b.Fatal(err)
		}
		ix.Binary().Close()
	}
}

// BenchmarkLookupVmlinuxCached is show's warm path: the persisted index
// loaded from the cache directory, then one function resolved.
func BenchmarkLookupVmlinuxCached(b *testing.B) {
	vm := testenv.Vmlinux(b)
	dir := b.TempDir()
	open := func() *Index {
		bin, err := target.OpenWith(vm, target.Options{DebugDirs: []string{}})
		if err != nil {
			b.Fatal(err)
		}
		ix, err := OpenWith(bin, Options{CacheDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		return ix
	}
	warm := open() // builds and saves the index
	if _, err := warm.Lookup("lookup_one_qstr_excl"); err != nil {
		b.Fatal(err)
	}
	warm.Binary().Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix := open()
		if _, err := ix.Lookup("lookup_one_qstr_excl"); err != nil {
			b.Fatal(err)
		}
		ix.Binary().Close()
	}
}

// BenchmarkTypeVmlinux decodes one large C type tree (struct sk_buff and
// all it reaches) from a fresh open each time.
func BenchmarkTypeVmlinux(b *testing.B) {
	vm := testenv.Vmlinux(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix := openIndex(b, vm)
		t, err := ix.TypeByName("struct sk_buff")
		if err != nil || len(t.Members()) == 0 {
			b.Fatalf("%v %v", t, err)
		}
		ix.Binary().Close()
	}
}

// TestVmlinuxLazyMembers: a C struct's members are read on first use, from
// any goroutine, and equal what debug/dwarf decodes from the same DIE; a
// struct nobody asks about is never read; and asking after the binary is
// closed gives no members instead of a fault on the unmapped file.
func TestVmlinuxLazyMembers(t *testing.T) {
	b, err := target.OpenWith(testenv.Vmlinux(t), target.Options{DebugDirs: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ix, err := OpenWith(b, Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := ix.Lookup("lookup_one_qstr_excl")
	if err != nil {
		t.Fatal(err)
	}
	var dentry *Type
	for _, p := range fs[0].Params {
		if p.Type.Kind == KindPointer && p.Type.Elem.Name == "struct dentry" {
			dentry = p.Type.Elem
		}
	}
	if dentry == nil || !dentry.Deferred() {
		t.Fatalf("struct dentry parameter not found or read eagerly: %+v", fs[0].Params)
	}
	stdlib := func(name string) *dwarf.StructType {
		ix.mu.Lock()
		defer ix.mu.Unlock()
		names := ix.nameIndex()
		fv, err := ix.dw.Full()
		if err != nil {
			t.Fatal(err)
		}
		st, err := fv.D.Type(names.Types[name])
		if err != nil {
			t.Fatal(err)
		}
		return st.(*dwarf.StructType)
	}
	same := func(name string, got []Field) {
		t.Helper()
		ref := stdlib(name)
		if len(got) != len(ref.Field) || len(got) == 0 {
			t.Fatalf("%s: %d members, debug/dwarf %d", name, len(got), len(ref.Field))
		}
		for i, rf := range ref.Field {
			if got[i].Name != rf.Name || got[i].Offset != rf.ByteOffset {
				t.Errorf("%s member %d: %s@%d, debug/dwarf %s@%d", name, i, got[i].Name, got[i].Offset, rf.Name, rf.ByteOffset)
			}
		}
	}
	got := make([][]Field, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = dentry.Members() }()
	}
	wg.Wait()
	for i := range got {
		if fmt.Sprint(got[i]) != fmt.Sprint(got[0]) {
			t.Fatalf("goroutine %d read different members", i)
		}
	}
	same("struct dentry", got[0])
	member := func(st *Type, name string) *Type {
		for _, f := range st.Members() {
			if f.Name == name {
				return f.Type
			}
		}
		t.Fatalf("%s has no %s", st.Name, name)
		return nil
	}
	sb := member(dentry, "d_sb")
	if sb.Kind != KindPointer || sb.Elem.Name != "struct super_block" {
		t.Fatalf("d_sb: %s", sb.Name)
	}
	same("struct super_block", sb.Elem.Members())
	inode := member(dentry, "d_inode").Elem
	if !inode.Deferred() {
		t.Fatal("struct inode was read before anyone asked")
	}
	b.Close()
	if m := inode.Members(); m != nil {
		t.Errorf("members read after Close: %d", len(m))
	}
}
