package debuginfo

import (
	"strings"
	"sync"
	"testing"

	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

func TestGlob(t *testing.T) {
	cases := []struct {
		pat, name string
		want      bool
	}{
		{"main.*", "main.Str", true},
		{"main.*", "main.(*Rect).Area", true},
		{"main.*", "mainx.Str", false},
		{"lookup_*", "lookup_one_qstr_excl", true},
		{"lookup_*", "__lookup_slow", false},
		{"*lookup*", "__lookup_slow", true},
		{"net/http.(*Server).*", "net/http.(*Server).Serve", true},
		{"net/http.(*Server).*", "net/http.(*Client).Do", false},
		{"net/*", "net/http.(*Server).Serve", true},
		{"main.Sum[go.shape.int]", "main.Sum[go.shape.int]", true}, // brackets are literal
		{"main.Sum[*]", "main.Sum[go.shape.float64]", true},
		{"vfs_rea?", "vfs_read", true},
		{"vfs_rea?", "vfs_readv", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{"*", "", true},
		{"a*b*c", "abxbyc", true},
		{"a*b*c", "abxbyd", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
		// A pointer receiver's star is literal; a star elsewhere is not.
		{"runtime.(*p).init", "runtime.(*p).init", true},
		{"runtime.(*p).init", "runtime.(*mheap).init", false},
		{"main.(*Rect).*", "main.(*Rect).Area", true},
		{"main.(*Rect).*", "main.(*Rectangle).Area", false},
		{"main.*.Area", "main.(*Rect).Area", true},
	}
	for _, c := range cases {
		if got := compileGlob(c.pat).match(c.name); got != c.want {
			t.Errorf("%q ~ %q = %v, want %v", c.pat, c.name, got, c.want)
		}
	}
	if IsPattern(`a\*b`) || !IsPattern("a*") || IsPattern("main.Sum[go.shape.int]") ||
		IsPattern("main.(*Rect).Area") || !IsPattern("main.(*Rect).*") {
		t.Error("isGlob")
	}
}

func TestWords(t *testing.T) {
	cases := map[string]string{
		"__lookup_hash":              "lookup hash",
		"net/http.(*Server).Serve":   "net http server serve",
		"lookup_one_qstr_excl":       "lookup one qstr excl",
		"main.Sum[go.shape.int]":     "main sum go shape int",
		"runtime.gcBgMarkWorker":     "runtime gc bg mark worker",
		"":                           "",
		"tcp_v4_rcv":                 "tcp v4 rcv",
		"type:.eq.[2]interface {}":   "type eq 2 interface",
		"ZSTD_customCalloc":          "zstd custom calloc",
		"x86_64_start_kernel.isra.0": "x86 64 start kernel isra 0",
	}
	for in, want := range cases {
		if got := strings.Join(words(in), " "); got != want {
			t.Errorf("words(%q) = %q, want %q", in, got, want)
		}
	}
	if d := levenshtein("vfs_reed", "vfs_read"); d != 1 {
		t.Errorf("levenshtein = %d", d)
	}
	if d := levenshtein("", "abc"); d != 3 {
		t.Errorf("levenshtein empty = %d", d)
	}
}

func TestRankSimilar(t *testing.T) {
	all := []string{"lookup_fast", "lookup_one_qstr_excl", "do_sys_openat2", "vfs_read", "vfs_write", "kernel_read"}
	got := rankSimilar("qstr_lookup_one", all, 3)
	if len(got) == 0 || got[0] != "lookup_one_qstr_excl" {
		t.Errorf("rankSimilar(qstr_lookup_one) = %v", got)
	}
	got = rankSimilar("vfs_reed", all, 3)
	if len(got) == 0 || got[0] != "vfs_read" {
		t.Errorf("rankSimilar(vfs_reed) = %v", got)
	}
	if got := rankSimilar("zzzz", all, 3); len(got) != 0 {
		t.Errorf("unrelated query suggests %v", got)
	}
}

// TestDescribeExpr uses encodings from the DWARF 5 standard, section 2.5.
func TestDescribeExpr(t *testing.T) {
	cases := []struct {
		expr []byte
		want string
	}{
		{nil, "optimized out"},
		{[]byte{0x55}, "reg rdi"}, // DW_OP_reg5
		{[]byte{0x50, 0x93, 0x08, 0x53, 0x93, 0x08}, "regs rax,rbx"}, // reg0 piece 8 reg3 piece 8
		{[]byte{0x91, 0x10}, "fbreg+16"},                             // DW_OP_fbreg 16
		{[]byte{0x91, 0x6c}, "fbreg-20"},                             // DW_OP_fbreg -20
		{[]byte{0x9c}, "cfa"},                                        // DW_OP_call_frame_cfa
		{[]byte{0x9c, 0x23, 0x08}, "cfa+8"},                          // + DW_OP_plus_uconst 8
		{[]byte{0x77, 0x08}, "breg rsp+8"},                           // DW_OP_breg7 8
		{[]byte{0x90, 0x11}, "reg xmm0"},                             // DW_OP_regx 17
		{[]byte{0xa3, 0x01, 0x55, 0x9f}, "entry_value"},              // entry_value(reg5) stack_value
		{[]byte{0x08, 0x2a, 0x9f}, "value"},                          // const1u 42 stack_value
		{[]byte{0x03, 1, 2, 3, 4, 5, 6, 7, 8}, "addr"},
	}
	for _, c := range cases {
		if got := describeExpr(c.expr); got != c.want {
			t.Errorf("describeExpr(% x) = %q, want %q", c.expr, got, c.want)
		}
	}
}

// TestGoABI0Preferred: runtime functions written in Go but called from
// assembly have an ABI0 wrapper with a second DIE of the same name; the
// index must return the ABIInternal body only.
func TestGoABI0Preferred(t *testing.T) {
	bin := testenv.GoFixture(t, testenv.GoDefault)
	b, err := target.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	st, _ := b.Symbols()
	ix := openIndex(t, bin)
	checked := 0
	for _, s := range st.Funcs {
		if !s.ABI0 {
			continue
		}
		var body *target.Symbol
		for _, o := range st.Lookup(s.Name) {
			if !o.ABI0 {
				o := o
				body = &o
			}
		}
		if body == nil {
			continue // assembly function: only the ABI0 symbol exists
		}
		for _, get := range []func(string) ([]*Function, error){ix.Lookup, func(n string) ([]*Function, error) { return ix.Match(n) }} {
			fs, err := get(s.Name)
			if err != nil {
				t.Errorf("%s: %v", s.Name, err)
				continue
			}
			if len(fs) != 1 || fs[0].Entry != body.Addr {
				t.Errorf("%s: %d functions, entry %#x; want the body at %#x (wrapper %#x)", s.Name, len(fs), fs[0].Entry, body.Addr, s.Addr)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no Go function with an ABI0 wrapper in the fixture")
	}
}

// TestConcurrentQueries runs queries from several goroutines; with -race
// it checks the lock around debug/dwarf and the caches.
func TestConcurrentQueries(t *testing.T) {
	ix := openIndex(t, testenv.GoFixture(t, testenv.GoDefault))
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for _, n := range []string{"main.Str", "main.Many", "main.Ptr"} {
				if fs, err := ix.Lookup(n); err != nil || len(fs) != 1 {
					t.Errorf("Lookup(%s) = %v, %v", n, fs, err)
				}
			}
			if _, err := ix.Match("main.*"); err != nil {
				t.Error(err)
			}
			if ns, err := ix.Names("main.S*"); err != nil || len(ns) < 5 {
				t.Errorf("Names(main.S*) = %v, %v", ns, err)
			}
			if _, err := ix.GoidOffset(); err != nil {
				t.Error(err)
			}
			ix.PrologueEnd(&Function{Name: "x", Entry: 1, End: 2})
		}(i)
	}
	wg.Wait()
}
