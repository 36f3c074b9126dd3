package nameindex

import (
	"strings"
	"testing"
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
		if got := Compile(c.pat).Match(c.name); got != c.want {
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
	got := Similar("qstr_lookup_one", all, 3)
	if len(got) == 0 || got[0] != "lookup_one_qstr_excl" {
		t.Errorf("Similar(qstr_lookup_one) = %v", got)
	}
	got = Similar("vfs_reed", all, 3)
	if len(got) == 0 || got[0] != "vfs_read" {
		t.Errorf("Similar(vfs_reed) = %v", got)
	}
	if got := Similar("zzzz", all, 3); len(got) != 0 {
		t.Errorf("unrelated query suggests %v", got)
	}
}
