package debuginfo

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/goruntime"
	"github.com/stapgen/stapgen/internal/testenv"
)

// stapVar is one "$name:type" of a stap -L line.
type stapVar struct{ Name, Type string }

// stapFunc is one line of stap -L output.
type stapFunc struct {
	Name, File string
	Line       string
	Vars       []stapVar
}

// buildTree makes the private minimal kernel build tree stap wants before
// any pass (FIELD-NOTES.md): .config, Module.symvers, kernel.release, and
// for kernel probes a vmlinux. Nothing outside the temp dir is touched.
func buildTree(t testing.TB, release, vmlinux string) string {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "include", "config"), 0o755)
	cfg := []byte("CONFIG_64BIT=y\n")
	if f, err := os.Open("/proc/config.gz"); err == nil {
		if zr, err := gzip.NewReader(f); err == nil {
			if b, err := io.ReadAll(zr); err == nil {
				cfg = b
			}
		}
		f.Close()
	}
	os.WriteFile(filepath.Join(dir, ".config"), cfg, 0o644)
	os.WriteFile(filepath.Join(dir, "Module.symvers"), nil, 0o644)
	if release == "" {
		out, _ := exec.Command("uname", "-r").Output()
		release = strings.TrimSpace(string(out))
	}
	os.WriteFile(filepath.Join(dir, "include", "config", "kernel.release"), []byte(release+"\n"), 0o644)
	if vmlinux != "" {
		if err := os.Symlink(vmlinux, filepath.Join(dir, "vmlinux")); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var (
	stapLineRe = regexp.MustCompile(`\.(?:function|statement)\("([^"]*)"\)(.*)$`)
	stapVarRe  = regexp.MustCompile(`\$([^:\s]+):`)
)

// stapList runs stap -L and parses its lines.
func stapList(t testing.TB, tree string, probes ...string) []stapFunc {
	t.Helper()
	testenv.NeedStap(t)
	args := append([]string{"-r", tree, "-L"}, probes...)
	cmd := exec.Command("stap", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("stap %v: %v\n%s", args, err, stderr.Bytes())
	}
	fns := parseStapList(out)
	if len(fns) == 0 {
		t.Fatalf("stap %v listed nothing:\n%s%s", args, out, stderr.Bytes())
	}
	return fns
}

// parseStapList reads the lines of stap -L output.
func parseStapList(out []byte) []stapFunc {
	var fns []stapFunc
	for _, line := range testenv.Lines(out) {
		m := stapLineRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		f := stapFunc{Name: m[1]}
		if i := strings.LastIndex(m[1], "@"); i >= 0 {
			f.Name = m[1][:i]
			fl := m[1][i+1:]
			if j := strings.LastIndex(fl, ":"); j >= 0 {
				f.File, f.Line = fl[:j], fl[j+1:]
			}
			// A function whose DWARF names no file (a Go closure
			// can: seen with main.strSequence.func1), or no line
			// either (Go 1.19): stap's spellings of the zero values.
			if f.File == "<unknown source>" {
				f.File = ""
			}
			if f.Line == "" {
				f.Line = "0"
			}
		}
		rest := m[2]
		locs := stapVarRe.FindAllStringSubmatchIndex(rest, -1)
		for k, l := range locs {
			end := len(rest)
			if k+1 < len(locs) {
				end = locs[k+1][0]
			}
			f.Vars = append(f.Vars, stapVar{Name: rest[l[2]:l[3]], Type: strings.TrimSpace(rest[l[1]:end])})
		}
		fns = append(fns, f)
	}
	return fns
}

// stapListed reports whether stap -L shows a parameter: it omits those
// with no location at the probe pc (the entry).
func stapListed(p Variable) bool { return p.AtEntry() }

func TestStapListParse(t *testing.T) {
	// A real line from `stap -L` on the Debian 6.1 kernel.
	line := `kernel.function("vfs_get_super@fs/super.c:1193") $fc:struct fs_context* $keying:enum vfs_get_super_keying $fill_super:int (*) (struct super_block*, struct fs_context*)`
	m := stapLineRe.FindStringSubmatch(line)
	if m == nil {
		t.Fatal("no match")
	}
	locs := stapVarRe.FindAllStringSubmatchIndex(m[2], -1)
	if len(locs) != 3 {
		t.Fatalf("%d vars", len(locs))
	}
	last := strings.TrimSpace(m[2][locs[2][1]:])
	if last != "int (*) (struct super_block*, struct fs_context*)" {
		t.Errorf("last type %q", last)
	}
}

// agreesWithStap decides whether f matches one stap -L line. stap lists
// the variables with a location at entry (for Go only location lists),
// parameters first, then locals in scope; so our visible parameters must
// be a prefix of its list. stap prints one line per name@file:line, and
// for a function that also has inline instances the variables may come
// from an instance (some constant-folded, another order): then every
// parameter stap names must have our type.
func agreesWithStap(t *testing.T, ix *Index, f *Function, vars []stapVar) bool {
	var want []stapVar
	for _, v := range vars {
		if v.Name != goruntime.DictParam {
			want = append(want, v)
		}
	}
	var got []stapVar
	for _, p := range f.Params {
		if p.Name != "" && p.AtEntry() && (f.Lang != LangGo || p.LocList) { // stap lists no nameless parameter
			got = append(got, stapVar{p.Name, p.Type.Name})
		}
	}
	if len(got) <= len(want) && varsString(got) == varsString(want[:len(got)]) {
		return true
	}
	if !f.Inlined && !isInlineCopy(t, ix, f) {
		return false
	}
	types := map[string]string{}
	for _, p := range f.Params {
		types[p.Name] = p.Type.Name
	}
	for _, v := range want {
		if ty, ok := types[v.Name]; ok && ty != v.Type {
			return false
		}
	}
	return true
}

func paramsString(f *Function) string {
	var s []string
	for _, p := range f.Params {
		s = append(s, fmt.Sprintf("$%s:%s [%s loclist=%v]", p.Name, p.Type.Name, p.Location, p.LocList))
	}
	return strings.Join(s, " ")
}
