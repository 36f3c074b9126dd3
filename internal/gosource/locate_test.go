package gosource

import (
	"debug/buildinfo"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/testenv"
)

func TestParseFuncName(t *testing.T) {
	for _, tc := range []struct {
		in                  string
		pkg, recv, name, rs string
		ptr                 bool
		closure             int
		unsupported         bool
	}{
		{in: "syscall.Mount", pkg: "syscall", name: "Mount"},
		{in: "golang.org/x/sys/unix.Mount", pkg: "golang.org/x/sys/unix", name: "Mount"},
		{in: "main.(*T).M", pkg: "main", recv: "T", name: "M", ptr: true},
		{in: "os.(*File).Write", pkg: "os", recv: "File", name: "Write", ptr: true},
		{in: "pkg.T.M", pkg: "pkg", rs: "T.M"},
		{in: "gopkg.in/yaml%2ev3.Marshal", pkg: "gopkg.in/yaml.v3", name: "Marshal"},
		{in: "github.com/a/b.(*T).M", pkg: "github.com/a/b", recv: "T", name: "M", ptr: true},
		{in: "text/template.Template.text/template/parse.newIf", pkg: "text/template", rs: "Template.newIf"},
		{in: "vendor/golang.org/x/net/dns/dnsmessage.(*Parser).Start", pkg: "vendor/golang.org/x/net/dns/dnsmessage", recv: "Parser", name: "Start", ptr: true},
		{in: "main.Sum[go.shape.int]", unsupported: true},
		{in: "main.(*T[go.shape.int]).M", unsupported: true},
		{in: "main.F.func1", pkg: "main", name: "F", closure: 1},
		{in: "main.(*T).M.func2", pkg: "main", recv: "T", name: "M", ptr: true, closure: 2},
		{in: "main.T.M.func3", pkg: "main", rs: "T.M", closure: 3},
		{in: "fmt.glob..func1", pkg: "fmt", name: "glob.", closure: 1},
		{in: "main.F.func1.1", unsupported: true},
		{in: "main.F.func1.gowrap2", unsupported: true},
		{in: "main.(*T).M-fm", unsupported: true},
		{in: "main.init", unsupported: true},
		{in: "main.init.0", unsupported: true},
		{in: "noDot", unsupported: true},
		{in: "go.(*struct { io.Reader }).Read", unsupported: true},
		{in: "net.dialResult·1.Close", unsupported: true},
		{in: "main.(*T", unsupported: true},
	} {
		fn, err := parseFuncName(tc.in)
		var ue *UnsupportedError
		if tc.unsupported {
			if !errors.As(err, &ue) {
				t.Errorf("%s: got %+v, %v, want *UnsupportedError", tc.in, fn, err)
			}
			continue
		}
		if err != nil || fn.pkg != tc.pkg || fn.recv != tc.recv || fn.name != tc.name || fn.rest != tc.rs || fn.ptrRecv != tc.ptr || fn.closure != tc.closure {
			t.Errorf("%s: got %+v, %v", tc.in, fn, err)
		}
	}
}

func TestEscapePath(t *testing.T) {
	// The module cache's own spelling (cmd/go/internal/module).
	for in, want := range map[string]string{
		"github.com/BurntSushi/toml": "github.com/!burnt!sushi/toml",
		"golang.org/x/sys":           "golang.org/x/sys",
		"v1.2.3-RC1":                 "v1.2.3-!r!c1",
	} {
		if got := escapePath(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// writeModule writes a one-file package into dir.
func writeModule(t *testing.T, dir, src string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

const depSrc = `package p

import "os"

type Mode uint16

type Pair struct {
	A int8
	B int64
	C Mode
}

func F(name string, m os.FileMode, p Pair) (n int, err error) { return }

func (p *Pair) M(x uint8) {}
`

// TestModuleSources: a dependency is read from the module cache under
// its escaped path, or from --source's vendor/; the main package from
// --source.
func TestModuleSources(t *testing.T) {
	goroot := goRootFor(t)
	bi := &buildinfo.BuildInfo{GoVersion: goroot.version, Path: "example.com/Cmd/tool",
		Main: debug.Module{Path: "example.com/Cmd", Version: "(devel)"},
		Deps: []*debug.Module{{Path: "github.com/Some/Dep", Version: "v1.2.3"}}}
	cache := t.TempDir()
	writeModule(t, filepath.Join(cache, "github.com/!some/!dep@v1.2.3/p"), depSrc)
	src := t.TempDir()
	writeModule(t, filepath.Join(src, "tool"), "package main\n\nfunc run(args []string) bool { return false }\n")
	vendored := t.TempDir()
	writeModule(t, filepath.Join(vendored, "vendor/github.com/Some/Dep/p"), depSrc)

	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"modcache", Options{ModCache: cache, GoRoots: goroot.roots}, "module github.com/Some/Dep@v1.2.3"},
		{"vendor", Options{ModCache: t.TempDir(), Source: vendored, GoRoots: goroot.roots}, "--source vendor/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(bi, tc.opts)
			sig, err := r.Func("github.com/Some/Dep/p.F")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(sig.Origin, tc.want) {
				t.Errorf("origin %q, want %q", sig.Origin, tc.want)
			}
			// Expected layout by Go's rules: int8 at 0, int64 at 8,
			// uint16 at 16, size 24; os.FileMode is a uint32.
			want := []struct {
				name, goName string
				kind         debuginfo.Kind
				size         int64
			}{
				{"name", "string", debuginfo.KindString, 16},
				{"m", "io/fs.FileMode", debuginfo.KindUint, 4},
				{"p", "github.com/Some/Dep/p.Pair", debuginfo.KindStruct, 24},
				{"n", "int", debuginfo.KindInt, 8},
				{"err", "error", debuginfo.KindInterface, 16},
			}
			got := append(append([]debuginfo.Variable{}, sig.Params...), sig.Results...)
			if len(got) != len(want) {
				t.Fatalf("%d variables, want %d", len(got), len(want))
			}
			for i, w := range want {
				g := got[i]
				if g.Name != w.name || g.Type.GoName != w.goName || g.Type.Kind != w.kind || g.Type.Size != w.size {
					t.Errorf("%d: %s %s %s %d, want %+v", i, g.Name, g.Type.GoName, g.Type.Kind, g.Type.Size, w)
				}
			}
			var offs []int64
			for _, f := range got[2].Type.Fields {
				offs = append(offs, f.Offset)
			}
			if len(offs) != 3 || offs[0] != 0 || offs[1] != 8 || offs[2] != 16 {
				t.Errorf("Pair offsets %v, want [0 8 16]", offs)
			}
			m, err := r.Func("github.com/Some/Dep/p.(*Pair).M")
			if err != nil || len(m.Params) != 2 || m.Params[0].Name != "p" || m.Params[0].Type.GoName != "*github.com/Some/Dep/p.Pair" {
				t.Errorf("method: %+v %v", m, err)
			}
		})
	}
	t.Run("gopath", func(t *testing.T) {
		// A GOPATH build (Debian's) records no modules.
		gp := t.TempDir()
		writeModule(t, filepath.Join(gp, "src/github.com/Some/Dep/p"), depSrc)
		r := New(&buildinfo.BuildInfo{GoVersion: goroot.version, Path: "example.com/tool"}, Options{Source: gp, GoRoots: goroot.roots, ModCache: t.TempDir()})
		sig, err := r.Func("github.com/Some/Dep/p.F")
		if err != nil || !strings.HasPrefix(sig.Origin, "--source GOPATH") || len(sig.Params) != 3 {
			t.Errorf("%+v %v", sig, err)
		}
	})
	t.Run("main", func(t *testing.T) {
		r := New(bi, Options{ModCache: cache, Source: src, GoRoots: goroot.roots})
		sig, err := r.Func("main.run")
		if err != nil {
			t.Fatal(err)
		}
		if len(sig.Params) != 1 || sig.Params[0].Type.GoName != "[]string" || !strings.HasPrefix(sig.Origin, "--source") {
			t.Errorf("%+v", sig)
		}
	})
}

type goRoot struct {
	version string
	roots   []string
}

// goRootFor is the host GOROOT, for os.FileMode in the module tests.
func goRootFor(t *testing.T) goRoot {
	out, err := exec.Command(testenv.NeedTool(t, "go"), "env", "GOROOT", "GOVERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	return goRoot{version: f[1], roots: []string{f[0]}}
}

// TestNoSource: without source, the error says what to install or pass.
func TestNoSource(t *testing.T) {
	bi := &buildinfo.BuildInfo{GoVersion: "go1.19.8", Path: "example.com/cmd",
		Main: debug.Module{Path: "example.com/cmd", Version: "(devel)"},
		Deps: []*debug.Module{{Path: "golang.org/x/sys", Version: "v0.6.0"}}}
	r := New(bi, Options{GoRoots: []string{}, ModCache: t.TempDir()})
	for fn, hint := range map[string]string{
		"syscall.Mount":               "apt-get install golang-1.19-src, or --go-source DIR (a Go 1.19 GOROOT), or --signature",
		"golang.org/x/sys/unix.Mount": "run `go mod download golang.org/x/sys@v0.6.0` (into the module cache), or --source DIR",
		"main.main":                   "pass --source DIR (the main module's source tree), or --signature",
		"github.com/opencontainers/runc/libcontainer.New": "install the Debian package that ships /usr/share/gocode/src/github.com/opencontainers/runc/libcontainer (likely golang-github-opencontainers-runc-dev)",
	} {
		_, err := r.Func(fn)
		var ns *NoSourceError
		if !errors.As(err, &ns) || ns.Func != fn {
			t.Errorf("%s: got %v, want *NoSourceError", fn, err)
			continue
		}
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("%s: %v\nwant hint %q", fn, err, hint)
		}
	}
}

// TestModuleCacheDWARF builds a program that uses a module from the
// module cache (golang.org/x/arch, a dependency of stapgen itself) and
// compares every function of that module with the binary's DWARF.
func TestModuleCacheDWARF(t *testing.T) {
	goCmd := testenv.NeedTool(t, "go")
	out, err := exec.Command(goCmd, "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	cache := strings.TrimSpace(string(out))
	_, err = os.Stat(filepath.Join(cache, "golang.org/x/arch@v0.32.0/x86/x86asm"))
	testenv.Need(t, err == nil, "golang.org/x/arch@v0.32.0 not in the module cache (go mod download)")
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/dis\n\ngo 1.22\n\nrequire golang.org/x/arch v0.32.0\n",
		"go.sum": "golang.org/x/arch v0.32.0 h1:NjGf8/xGf5JgAJ4dw4NtME5R1L7xatagqAg95T3LgII=\n" +
			"golang.org/x/arch v0.32.0/go.mod h1:KcJSod3cqT2dKcjBxqTyGfbumNikqU9p5tHJinPJnuY=\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\t\"golang.org/x/arch/x86/x86asm\"\n)\n\n" +
			"func main() {\n\tinst, err := x86asm.Decode([]byte{0xc3}, 64)\n\tfmt.Println(x86asm.GNUSyntax(inst, 0, nil), inst.String(), err)\n}\n",
	}
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "dis")
	cmd := exec.Command(goCmd, "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local", "GO111MODULE=on")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	ix, args := oracles(t, bin)
	r, err := Open(bin, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := ix.Match("golang.org/x/arch/*")
	if err != nil {
		t.Fatal(err)
	}
	matched, total := 0, 0
	seen := map[string]bool{}
	for _, f := range fs {
		if seen[f.Name] || f.Inlined || len(f.Params)+len(f.Results) == 0 {
			continue
		}
		if _, err := parseFuncName(f.Name); err != nil {
			continue
		}
		seen[f.Name] = true
		total++
		sig, err := r.Func(f.Name)
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		if !strings.HasPrefix(sig.Origin, "module golang.org/x/arch@v0.32.0") {
			t.Errorf("%s: origin %q", f.Name, sig.Origin)
		}
		f.Results = dedupe(f.Results)
		ok := len(sig.Params) == len(f.Params) && len(sig.Results) == len(f.Results)
		for i := 0; ok && i < len(f.Params); i++ {
			if d := diff(sig.Params[i], f.Params[i]); d != "" {
				t.Errorf("%s: %s", f.Name, d)
				ok = false
			}
		}
		for i := 0; ok && i < len(f.Results); i++ {
			if d := diff(sig.Results[i], f.Results[i]); d != "" {
				t.Errorf("%s: %s", f.Name, d)
				ok = false
			}
		}
		recv := strings.Contains(f.Name, ").") || strings.Count(f.Name[strings.LastIndexByte(f.Name, '/')+1:], ".") == 2
		if err := sig.Check(args[f.Name], regABIOptions(f.Name, recv)); err != nil {
			t.Errorf("%v", err)
			ok = false
		}
		if ok {
			matched++
		}
	}
	t.Logf("golang.org/x/arch from the module cache: %d of %d functions match DWARF and _func.args", matched, total)
	if total < 20 {
		t.Errorf("only %d functions", total)
	}
}
