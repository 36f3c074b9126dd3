package script

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stapgen/stapgen/templates"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
	"github.com/stapgen/stapgen/internal/testenv"
)

func render(t *testing.T, tc genCase) string {
	t.Helper()
	p := build(t, tc, "/usr/local/bin/gofix", "/usr/local/bin/cfix")
	var buf bytes.Buffer
	if err := Builtin().Render(&buf, p); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestUserTextCannotInject: whatever a filter literal holds, it reaches the
// script as one stap string literal with no quote, backslash-letter, "%{"
// or newline that stap could read as code.
func TestUserTextCannotInject(t *testing.T) {
	evil := []string{
		`"); system("id`, "x\n} probe begin { system(\"id\") }", `%{ panic(); %}`, `\`, `\"`, "\x7f\xff", `a" . "b`,
	}
	for _, s := range evil {
		src := render(t, genCase{lang: "c", req: spec.Request{Probes: []spec.Probe{{Function: "greet"}},
			Where: []spec.Filter{{Expr: spec.Predicate{Path: spec.Path{Root: "who"}, Op: spec.OpEq, IsString: true, Str: s}}}}})
		var line string
		for _, l := range strings.Split(src, "\n") {
			if strings.Contains(l, "__sg_ok = (") {
				line = l
			}
		}
		i := strings.Index(line, `== "`)
		j := strings.LastIndex(line, `")) }`)
		if i < 0 || j < i {
			t.Fatalf("no quoted literal in the filter line %q", line)
		}
		body := line[i+4 : j]
		if strings.ContainsAny(body, "\"\n\r%") {
			t.Errorf("literal for %q carries a raw quote, newline or %%: %s", s, body)
		}
		for k := 0; k < len(body); k++ {
			if body[k] == '\\' && !(k+3 < len(body) && body[k+1] >= '0' && body[k+1] <= '3') {
				t.Errorf("literal for %q has a non-octal escape: %s", s, body)
			}
		}
		if strings.Count(src, "\nprobe ") != 1 || strings.Contains(src, "system(") && !strings.Contains(body, "system(") {
			t.Errorf("user text reached the script outside its literal:\n%s", src)
		}
	}
}

func TestStapString(t *testing.T) {
	for in, want := range map[string]string{
		"abc":      `"abc"`,
		`a"b`:      `"a\042b"`,
		"a\nb":     `"a\012b"`,
		`%{x%}`:    `"\045{x\045}"`,
		"\xff\\":   `"\377\134"`,
		"overlay ": `"overlay "`,
	} {
		if got := stapString(in); got != want {
			t.Errorf("stapString(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestReads renders each kind of read through the built-in templates; the
// wanted text is stap's own syntax for the read (SystemTap's tapset
// reference: u_register, user_intN/user_uintN, $var->member[i]).
func TestReads(t *testing.T) {
	g, err := newGenerator(Builtin().kernel, false, &plan.Plan{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		e    plan.Expr
		want string
	}{
		{plan.Narrow{X: plan.Reg{Name: "R"}, Size: 1, Signed: true}, `((u_register("R") << 56) >> 56)`},
		{plan.Narrow{X: plan.Reg{Name: "R"}, Size: 4}, `((u_register("R") << 32) >>> 32)`},
		{plan.Narrow{X: plan.UReg{Num: 1}, Size: 4}, `((@uregister(1) << 32) >>> 32)`},
		// A small value inside a word: the bytes above it, then those below.
		{plan.Narrow{X: plan.UReg{Num: 1}, Size: 2, Signed: true, Byte: 2}, `((@uregister(1) << 32) >> 48)`},
		{plan.Narrow{X: plan.UReg{Num: 1}, Size: 4, Byte: 4}, `((@uregister(1) << 0) >>> 32)`},
		{plan.Var{Of: plan.Cast{X: plan.UReg{Num: 7}, Type: "uint64", Module: "/bin/x"}, Steps: []plan.VarStep{{Index: 3}}}, `@cast(@uregister(7), "uint64", "/bin/x")[3]`},
		{plan.Mem{Addr: plan.Reg{Name: "rsp"}, Off: 16, Size: 8}, `user_uint64(u_register("rsp") + 16)`},
		{plan.Mem{Addr: plan.Mem{Addr: plan.Reg{Name: "rax"}, Size: 8}, Size: 2, Signed: true}, `user_int16(user_uint64(u_register("rax")))`},
		{plan.Var{Name: "n", Steps: []plan.VarStep{{Member: "pt"}, {Member: "xs"}, {Index: 2}}}, `$n->pt->xs[2]`},
		{plan.Var{Name: "x", Steps: []plan.VarStep{{Member: "arr"}}, AddrOf: true}, `&$x->arr`},
	} {
		got, err := g.expr(tc.e)
		if err != nil || got != tc.want {
			t.Errorf("%#v: got %q, %v; want %q", tc.e, got, err, tc.want)
		}
	}
}

// TestHelpersOnlyWhenUsed: a script carries the kernel-runtime helpers its
// prints call and no others.
func TestHelpersOnlyWhenUsed(t *testing.T) {
	src := render(t, genCase{lang: "kernel", req: spec.Request{Probes: []spec.Probe{{Function: "lookup_one_qstr_excl", Fields: paths(t, "flags")}}}})
	if strings.Contains(src, "function __sg_") {
		t.Errorf("an integer-only script defines helpers:\n%s", src)
	}
	// A C string's bound picks the helper: under MAXSTRINGLEN (511) the
	// raw one, else the one that hex-dumps what one read cannot hold.
	for _, tc := range []struct {
		strlen int
		want   map[string]bool
	}{
		{0, map[string]bool{"__sg_ucstr": true, "__sg_ucstr_long": false, "__sg_gstr": false, "__sg_kcstr": false}},
		{510, map[string]bool{"__sg_ucstr": true, "__sg_ucstr_long": false}},
		{511, map[string]bool{"__sg_ucstr": false, "__sg_ucstr_long": true}},
	} {
		req := spec.Request{Probes: []spec.Probe{{Function: "greet"}}}
		req.Limits.StringLen = tc.strlen
		src = render(t, genCase{lang: "c", req: req})
		for fn, want := range tc.want {
			if got := strings.Contains(src, "function "+fn+"(") || strings.Contains(src, "function "+fn+":"); got != want {
				t.Errorf("--strlen %d: function %s defined: %v, want %v", tc.strlen, fn, got, want)
			}
			if got := strings.Contains(src, fn+"($who, "); got != want {
				t.Errorf("--strlen %d: %s called: %v, want %v", tc.strlen, fn, got, want)
			}
		}
	}
}

// TestTemplatesDirChangesValues: a user's template set changes how a value
// prints, in its piece of the joined print and in its own print (the
// fallback), and one that lacks a template says which.
func TestTemplatesDirChangesValues(t *testing.T) {
	fsys := overlay(map[string]string{"kernel.stp.tmpl": strings.NewReplacer(
		`{{define "value.Ptr"}}try { printf(" 0x%x", {{expr .V.X}})`, `{{define "value.Ptr"}}try { printf(" 0x%016x", {{expr .V.X}})`,
		`{{define "part.Ptr"}}{{if not (entry .V.X)}} 0x%x{{end}}{{end}}`, `{{define "part.Ptr"}} 0x%016x{{end}}`).Replace(readBuiltin(t, "kernel.stp.tmpl"))})
	ts, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	p := build(t, genCase{lang: "c", req: spec.Request{Probes: []spec.Probe{{Function: "walk", Fields: paths(t, "n->next")}}}}, "/g", "/c")
	var buf bytes.Buffer
	if err := ts.Render(&buf, p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `printf(" 0x%016x", $n->next)`) || !strings.Contains(buf.String(), `- 0x%016x\n", gettimeofday_ns()`) {
		t.Errorf("the user's value.Ptr or part.Ptr was not used:\n%s", buf.String())
	}
	fsys = overlay(map[string]string{"kernel.stp.tmpl": strings.Replace(readBuiltin(t, "kernel.stp.tmpl"), `{{define "value.Ptr"}}`, `{{define "value.Pointer"}}`, 1)})
	if ts, err = Load(fsys); err != nil {
		t.Fatal(err)
	}
	err = ts.Render(&bytes.Buffer{}, p)
	if err == nil || !strings.Contains(err.Error(), `"value.Ptr"`) {
		t.Errorf("render without value.Ptr: %v", err)
	}
}

// overlay is the built-in template files with some replaced.
func overlay(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	entries, _ := fs.ReadDir(templates.FS, ".")
	for _, e := range entries {
		b, _ := fs.ReadFile(templates.FS, e.Name())
		m[e.Name()] = &fstest.MapFile{Data: b}
	}
	for name, text := range files {
		m[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return m
}

func readBuiltin(t *testing.T, name string) string {
	b, err := fs.ReadFile(templates.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOriginOfStapError: a stap semantic error about a generated line maps
// back to the request text that produced it. The error and its line come
// from the real stap, resolving a parameter the fixture binary lacks.
func TestOriginOfStapError(t *testing.T) {
	host := testenv.NeedTool(t, "stap")
	tree := testenv.HostBuildTree(t)
	cBin := testenv.CFixture(t, testenv.CO0)
	funcs := cFuncs()
	g := *funcs["greet"]
	g.Params = append(append([]debuginfo.Variable{}, g.Params...), debuginfo.Variable{Name: "nosuch", Type: tCInt})
	funcs["greet"] = &g
	req := spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "greet", Fields: paths(t, "who", "nosuch")}}}
	p, err := plan.Build(plan.Inputs{Request: &req, Target: plan.Target{Path: cBin}, Funcs: funcs})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Builtin().Render(&buf, p); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "s.stp")
	os.WriteFile(f, buf.Bytes(), 0o644)
	out, err := exec.Command(host, "-p2", "-r", tree, "--runtime=bpf", f).CombinedOutput()
	if err == nil {
		t.Fatalf("stap accepted a parameter the binary lacks:\n%s", out)
	}
	se := stap.Classify(string(out), 1)
	if se.Line == 0 {
		t.Fatalf("no script line in stap's error:\n%s", out)
	}
	if got, ok := OriginAt(buf.Bytes(), se.Line, se.Identifier); !ok || got != "--fields nosuch" {
		t.Errorf("line %d: origin %q, %v; want --fields nosuch\n%s", se.Line, got, ok, out)
	}
}
