package spec

import (
	"errors"
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"name", "name", ""},
		{"name->name", "name.name", ""},
		{"o.Flags[0]", "o.Flags[0]", ""},
		{"~r0", "~r0", ""},
		{"a->b.c[3][4]", "a.b.c[3][4]", ""},
		{"", "", "want a parameter name"},
		{"$name", "", "want a parameter name"},
		{"a.", "", "member name"},
		{"a[-1]", "", "index"},
		{"a[x]", "", "index"},
		{"a.~r0", "", "member name"},
		{`a"); system("x`, "", "unexpected"},
		{"a%{ x %}", "", "unexpected"},
		// Casts, in stapgen's and in stap's spelling.
		{"ctx:(struct getdents_callback64)->count", "ctx:(struct getdents_callback64).count", ""},
		{`@cast(ctx, "struct getdents_callback64")->count`, "ctx:(struct getdents_callback64).count", ""},
		{`@cast(ctx,"struct  getdents_callback64" , "kernel")->count`, "ctx:(struct getdents_callback64@kernel).count", ""},
		{"a->b:(struct x@overlay)->c[2]", "a.b:(struct x@overlay).c[2]", ""},
		{`@cast(@cast(a, "struct x")->p, "union y")->q`, "a:(struct x).p:(union y).q", ""},
		{"a:(u32)", "a:(u32)", ""},
		{"a:(struct x", "", "unclosed :("},
		{"a:()", "", "cast type"},
		{"a:(struct x*)", "", "cast type"},
		{`a:(struct x"); system("y)`, "", "cast type"},
		{"a:(struct x@/bin/sh)", "", "cast module"},
		{`@cast(a, "struct x\"); exit() %{")->b`, "", "cast type"},
		{`@cast(a, "struct x", "k\"m")->b`, "", "cast module"},
		{`@cast(a)->b`, "", "@cast wants"},
		{`@cast(a, struct x)->b`, "", "@cast wants"},
		{`@cast(a, "struct x"`, "", "@cast wants"},
		{`@cast(a$, "struct x")`, "", "$ goes at the end"},
		// Whole values.
		{"name$", "name$", ""},
		{"name->d_name$$", "name.d_name$$", ""},
		{`@cast(ctx, "struct x")$$`, "ctx:(struct x)$$", ""},
		{"name$$$", "", "unexpected"},
		{"name$.len", "", "unexpected"},
	} {
		p, err := ParsePath(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrInvalid) {
				t.Errorf("ParsePath(%q) = %v, want error containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || p.String() != tc.want {
			t.Errorf("ParsePath(%q) = %q, %v; want %q", tc.in, p, err, tc.want)
		}
	}
}

func TestValidateFunctionPattern(t *testing.T) {
	good := []string{"lookup_one_qstr_excl", "main.(*Rect).Area", "main.Sum[go.shape.int]", "net/http.(*conn).serve", "lookup_*", "type:.eq.main.Rect", "go:buildid", "main.F-fm", "shop::biggest<long int>", "shop::Cart::operator+="}
	for _, s := range good {
		if err := ValidateFunctionPattern(s); err != nil {
			t.Errorf("%q rejected: %v", s, err)
		}
	}
	bad := []string{"", `a"b`, `a\b`, "a\tb", "a\nb", "x%{y", "x%}y", "a'b", "a\x00b", "\xff"}
	for _, s := range bad {
		if err := ValidateFunctionPattern(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestIsGlob(t *testing.T) {
	for s, want := range map[string]bool{"main.(*T).M": false, "main.*": true, "lookup_?": true, "vfs_read": false, "main.(*T).*": true} {
		if IsGlob(s) != want {
			t.Errorf("IsGlob(%q) = %v", s, !want)
		}
	}
}

func TestParseFile(t *testing.T) {
	src := `# name: go-mount
# description: Go syscall.Mount calls
probe syscall.Mount entry return source target "fstype"
where fstype=="overlay"
limit strlen 256
backtrace user
process dockerd
`
	f, err := ParseFile(strings.NewReader(src), "mount.probe")
	if err != nil {
		t.Fatal(err)
	}
	r := f.Request
	if f.Meta["name"] != "go-mount" || f.Meta["description"] != "Go syscall.Mount calls" {
		t.Errorf("meta = %v", f.Meta)
	}
	if len(r.Probes) != 1 || !r.Probes[0].Entry || !r.Probes[0].Return || len(r.Probes[0].Fields) != 3 || r.Probes[0].Fields[2].Root != "fstype" {
		t.Errorf("probes = %+v", r.Probes)
	}
	if len(r.Where) != 1 || r.Where[0].String() != `fstype == "overlay"` || r.Limits.StringLen != 256 || !r.UserStack || r.Process != "dockerd" {
		t.Errorf("request = %+v", r)
	}
	if err := r.Normalize(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"probe", "probe a\"b", "limit strlen x", "frobnicate", `where x == "unterminated`, "backtrace sideways", "probe f $x"} {
		_, err := ParseFile(strings.NewReader(bad+"\n"), "bad.probe")
		var fe *FileError
		if !errors.As(err, &fe) || fe.Line != 1 {
			t.Errorf("%q: err = %v, want a FileError at line 1", bad, err)
		}
	}
}

func TestNormalize(t *testing.T) {
	r := Request{Probes: []Probe{{Function: "f"}}, Aggregate: AggLatency}
	if err := r.Normalize(); err != nil {
		t.Fatal(err)
	}
	if !r.Probes[0].Entry || !r.Probes[0].Return || r.Limits != DefaultLimits || r.Runtime != RuntimeKernel {
		t.Errorf("normalized = %+v", r)
	}
	for _, bad := range []Request{
		{},
		{Probes: []Probe{{Function: "f"}}, Runtime: "dyninst"},
		{Probes: []Probe{{Function: "f"}}, Process: `a"b`},
		{Probes: []Probe{{Function: "f"}}, Limits: Limits{StringLen: 1 << 20}},
		{Probes: []Probe{{Function: "f"}}, Aggregate: "median"},
	} {
		if err := bad.Normalize(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err = %v", bad, err)
		}
	}
}

// FuzzParsePath: whatever a path parses to prints back as a path that
// parses to the same thing, and carries no byte stap could read as code.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"a->b[1]", "ctx:(struct x@kernel).c$$", `@cast(a, "union y", "m")->q$`, "~r0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		out := p.String()
		if strings.ContainsAny(out, "\"%{};\\'\n") {
			t.Fatalf("ParsePath(%q) kept stap-significant bytes: %q", s, out)
		}
		q, err := ParsePath(out)
		if err != nil || q.String() != out {
			t.Fatalf("ParsePath(%q).String() = %q does not round-trip: %q, %v", s, out, q, err)
		}
	})
}

func FuzzParseFile(f *testing.F) {
	f.Add("probe f entry return a->b c[1]\nwhere a == \"x\"\nlimit strlen 9\n")
	f.Add("# name: x\nprobe main.(*T).M\naggregate latency\n")
	f.Add("where x >= 0x10\nbacktrace kernel user\n")
	f.Add("probe f\naggregate sum:len by fd keys 5\naggregate top:ctx:(struct x).n\n")
	f.Fuzz(func(t *testing.T, s string) {
		file, err := ParseFile(strings.NewReader(s), "fuzz")
		if (file == nil) == (err == nil) {
			t.Fatalf("file=%v err=%v", file, err)
		}
		if err != nil {
			return
		}
		for _, p := range file.Request.Probes {
			if ValidateFunctionPattern(p.Function) != nil {
				t.Fatalf("invalid function accepted: %q", p.Function)
			}
		}
	})
}

func TestIsLine(t *testing.T) {
	for s, want := range map[string]bool{"fs/namei.c:1600": true, "cfix.c:12": true, "main.go:7": true,
		"type:.eq.main.Rect": false, "go:buildid": false, "lookup_one_qstr_excl": false, "a.c:": false, "a.c:0": false, "x:12": false, "*.c:3": false} {
		if _, _, ok := IsLine(s); ok != want {
			t.Errorf("IsLine(%q) = %v", s, ok)
		}
	}
}

// TestFileCasts: a probe file quotes a cast's path as one word.
func TestFileCasts(t *testing.T) {
	f, err := ParseFile(strings.NewReader("probe filldir64 name `@cast(ctx, \"struct getdents_callback64\")->count` \"ctx:(struct getdents_callback64).prev_reclen\" name$$\n"), "t")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range f.Request.Probes[0].Fields {
		got = append(got, p.String())
	}
	want := "name|ctx:(struct getdents_callback64).count|ctx:(struct getdents_callback64).prev_reclen|name$$"
	if strings.Join(got, "|") != want {
		t.Errorf("fields %q, want %q", got, want)
	}
}

func TestFuncLine(t *testing.T) {
	for _, tc := range []struct {
		s, fn, file string
		line        int
	}{
		{"lookup_one_qstr_excl@fs/namei.c:1599", "lookup_one_qstr_excl", "fs/namei.c", 1599},
		{"add@/src/cfix.c:26", "add", "/src/cfix.c", 26},
		{"main.main@main.go:7", "main.main", "main.go", 7},
		{"fs/namei.c:1600", "", "", 0},
		{"lookup_*@fs/namei.c:1600", "", "", 0},
		{"f@fs/namei.c:*", "", "", 0},
		{"@fs/namei.c:3", "", "", 0},
		{"f@g@a.c:3", "", "", 0},
	} {
		fn, file, line, ok := FuncLine(tc.s)
		if ok != (tc.fn != "") || fn != tc.fn || file != tc.file || line != tc.line {
			t.Errorf("FuncLine(%q) = %q %q %d %v", tc.s, fn, file, line, ok)
		}
	}
}

// TestFileWhereSpacing: a probe file's filter reads as the same filter on
// the command line, whatever the blanks around its operator and inside its
// quoted value.
func TestFileWhereSpacing(t *testing.T) {
	for _, line := range []string{`x != "a"`, `x!="a"`, `name == "a b"`, `s != "with \"quote\" "`, `flags>=3`, "n == `raw \\ word`"} {
		want, err := ParseFilter(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		f, err := ParseFile(strings.NewReader("probe f\nwhere "+line+"\n"), "t.probe")
		if err != nil {
			t.Errorf("where %s: %v", line, err)
			continue
		}
		if got := f.Request.Where; len(got) != 1 || got[0].String() != want.String() {
			t.Errorf("where %s: %v, want %v", line, got, want)
		}
	}
}
