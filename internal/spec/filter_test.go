package spec

import (
	"strings"
	"testing"
)

// TestParseFilter: each form reads as the tree its canonical spelling
// shows (the spelling a probe handler's comment and messages carry), and
// each mistake is refused with where and what was expected.
func TestParseFilter(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`flags > 0`, `flags > 0`},
		{`name->name == "a b\"c"`, `name.name == "a b\"c"`},
		{`x>=0x10`, `x >= 16`},
		{`x>-3`, `x > -3`},
		{`a->b>=2`, `a.b >= 2`},
		{`x!=1&&!y`, `x != 1 && !y`},
		{`a->b&1||c`, `a.b & 1 || c`},
		{`x != -3`, `x != -3`},
		{`u == 18446744073709551615`, `u == -1`},
		{`@cast(c, "struct g")->count > 2`, `c:(struct g).count > 2`},
		{`ctx:(struct g).count>2`, `ctx:(struct g).count > 2`},
		{`a == 1 || b == 2`, `a == 1 || b == 2`},
		{`a == 1 || b == 2 && c == 3`, `a == 1 || b == 2 && c == 3`},
		{`(a == 1 || b == 2) && c == 3`, `(a == 1 || b == 2) && c == 3`},
		{`!(a == 1)`, `!(a == 1)`},
		{`!a`, `!a`},
		{`!(a)`, `!a`},
		{`!!a`, `!!a`},
		{`!!(a == 1)`, `!!(a == 1)`},
		{`flags & 512`, `flags & 512`},
		{`flags&0x40&&mode`, `flags & 64 && mode`},
		{`(flags & 0x3) == 2`, `(flags & 3) == 2`},
		{`!(flags & 0100)`, `!(flags & 64)`},
		{`(n) >= 0b101`, `n >= 5`},
		{`return < 0`, `return < 0`},
		{`return->d_inode != 0`, `return.d_inode != 0`},
		{`a->b[2].c == 1`, `a.b[2].c == 1`},
		{`s == "a{b}" || s == "||"`, `s == "a{b}" || s == "||"`},
		{`add { a > 1 }`, `add { a > 1 }`},
		{` greet{who == "x" || n == 0} `, `greet { who == "x" || n == 0 }`},
		{`main.(*T).M { ~r0 == 1 }`, `main.(*T).M { ~r0 == 1 }`},
		{`main.F[go.shape.struct { X int }] { x == 1 }`, `main.F[go.shape.struct { X int }] { x == 1 }`},
		{`vfs_* { flags & 1 }`, `vfs_* { flags & 1 }`},
	} {
		f, err := ParseFilter(tc.in)
		if err != nil || f.String() != tc.want {
			t.Errorf("ParseFilter(%q) = %q, %v; want %q", tc.in, f, err, tc.want)
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{``, "column 1: empty condition"},
		{`s < "x"`, "column 5: strings compare only with == or !="},
		{`x == y`, "column 6: want a value (an integer or a quoted string), found the name y"},
		{`flags & O_CREAT`, "found the name O_CREAT: constants' names are not known"},
		{`x == 1; exit()`, `column 7: want && or || between conditions, found "; exit()"`},
		{`x == "a" %{ evil %}`, `column 10: want && or || between conditions`},
		{`== 3`, "column 1: want a parameter path"},
		{`3 == x`, "column 1: want a parameter path"},
		{`x ==`, "column 5: want a value"},
		{`x == "unterminated`, "column 6: bad string literal"},
		{`name$ == 3`, "whole value"},
		{`(a == 1`, "column 8: want ) closing the ( at column 1"},
		{`a == 1)`, `column 7: want && or || between conditions, found ")"`},
		{`a == 1 ||`, "column 10: want a parameter path"},
		{`a && && b`, "column 6: want a parameter path"},
		{`flags & 3 == 2`, "column 11: write (flags & 3) == VALUE: in C, == binds before &"},
		{`!x == 2`, "column 1: after !, write a path or a condition in parentheses: !(x == 2)"},
		{`!x & 4`, "after !, write a path or a condition in parentheses"},
		{`(a == 1) == 2`, "== compares a value, and (a == 1) is a condition"},
		{`(flags & 3) == "x"`, "a mask is a number"},
		{`x - 1 > 0`, "column 3: want an operator"},
		{`x->3 > 0`, "want a member name"},
		{`x ! 3`, "want && or ||"},
		{`add { a > 1`, "want } closing the condition of add"},
		{`{ a > 1 }`, "want a function name before {"},
		{`a"b { x }`, "column 2: want an operator"},
		{`add { }`, "empty condition"},
		{`add { a > 1 } && b`, "want } closing"},
		{strings.Repeat("(", 40) + "a" + strings.Repeat(")", 40), "nested deeper than 32"},
		{strings.Repeat("!", 40) + "a", "nested deeper than 32"},
		{strings.Repeat("a || ", 70) + "a", "more than 64 tests"},
		{strings.Repeat("a", 5000), "longer than 4096"},
	} {
		_, err := ParseFilter(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseFilter(%q) = %v, want an error containing %q", tc.in, err, tc.err)
		}
	}
}

// TestFilterRoots: the names a condition reads decide where it is tested
// (parameters at the entry, return values at the return).
func TestFilterRoots(t *testing.T) {
	f, err := ParseFilter(`(a == 1 || !(return & 4)) && a->b > 2 && c`)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(Roots(f.Expr), " "); got != "a return c" {
		t.Errorf("roots %q", got)
	}
}

// FuzzParseFilter: a filter comes from a command line or a probe file.
// Whatever the bytes, the parser answers without panicking, and what it
// accepts prints as a filter that parses to the same spelling.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{`flags > 0`, `(flags & 0x3) == 2 || !(mode & 4)`, `add { a == 1 && b != -2 }`,
		`name->name == "x y"`, `@cast(c, "struct g", "kernel")->n >= 0`, `!!a || (b)`, `return->d_inode != 0`, "s == `raw`"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			return
		}
		again, err := ParseFilter(flt.String())
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", s, flt, err)
		}
		if again.String() != flt.String() {
			t.Fatalf("%q printed as %q, which parses as %q", s, flt, again)
		}
	})
}

// TestFileWhereFunction: a probe file's where line takes the same filters
// as --where, the per-function form too.
func TestFileWhereFunction(t *testing.T) {
	f, err := ParseFile(strings.NewReader("probe f_open entry return\nprobe f_find\nwhere f_open { path != \"/etc/a b\" && !(flags & 0x200) }\nwhere return < 0 || x\n"), "t.probe")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range f.Request.Where {
		got = append(got, w.Func+"|"+w.Expr.String())
	}
	if want := `f_open|path != "/etc/a b" && !(flags & 512)` + "\n" + `|return < 0 || x`; strings.Join(got, "\n") != want {
		t.Errorf("where lines read as\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
	if _, err := ParseFile(strings.NewReader("probe f\nwhere f { x == 1\n"), "t.probe"); err == nil || !strings.Contains(err.Error(), "t.probe:2: ") || !strings.Contains(err.Error(), "want } closing") {
		t.Errorf("unclosed per-function where: %v", err)
	}
}
