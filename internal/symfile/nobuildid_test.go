package symfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// go119Stripped builds the fixture with Debian's Go 1.19, -s -w, internal
// linking: no GNU build-id note and no .gnu_debuglink, so libdwfl can only
// find a debug file by the binary's path.
func go119Stripped(t testing.TB) string {
	t.Helper()
	const goCmd = "/usr/lib/go-1.19/bin/go"
	_, err := os.Stat(goCmd)
	testenv.Need(t, err == nil, "%s missing: apt-get install golang-1.19-go", goCmd)
	out := filepath.Join(testenv.FixtureRoot(), "symfile-go119", "gofix")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	os.MkdirAll(filepath.Dir(out), 0o755)
	tmp := out + ".tmp"
	cmd := exec.Command(goCmd, "build", "-ldflags=-s -w", "-o", tmp, ".")
	cmd.Dir = testenv.GoSource("")
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=off", "GOTOOLCHAIN=local")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go1.19 build: %v\n%s", err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNoBuildIDFoundByPath: a binary without a build-id gets its debug file
// at DIR/<absolute path>.debug, where both staps find it.
func TestNoBuildIDFoundByPath(t *testing.T) {
	stap := testenv.NeedTool(t, "stap")
	tree := testenv.HostBuildTree(t)
	stap51, err := lab.Stap(lab.Trixie)
	testenv.Need(t, err == nil, "%v", err)
	bin := go119Stripped(t)
	if id := readelfBuildID(t, bin); id != "" {
		t.Fatalf("Go 1.19 internal linking wrote a build-id %s: the test premise is gone", id)
	}
	funcs := funcTable(t, bin)
	picked := sample(funcs, []string{"main.Str", "main.(*Rect).Area", "main.Sum[...]"}, 499)
	cache := filepath.Join(testenv.FixtureRoot(), "symfile-cache")
	res, ps := writeProbes(t, bin, cache, funcs, picked, false)
	if want := filepath.Join(cache, bin+".debug"); res.File != want {
		t.Fatalf("debug file at %s, want %s", res.File, want)
	}
	f := filepath.Join(t.TempDir(), "s.stp")
	os.WriteFile(f, []byte(ps.script), 0o644)
	for _, run := range []struct {
		who  string
		bin  string
		args []string
	}{
		{"stap 4.8", stap, []string{"-r", tree, "-p2", "--runtime=bpf", f}},
		{"stap 5.1", stap51, []string{"-r", lab.Release(), "-p2", f}},
	} {
		out, err := stapRun(t, res.Env, run.bin, run.args...)
		if err != nil {
			t.Fatalf("%s: %v\n%s\n--- script:\n%s", run.who, err, out, ps.script)
		}
		checkResolved(t, run.who, out, ps)
	}
	// Go 1.19 names both instances of the generic Sum "main.Sum[...]": a
	// name stap would match twice, so each entry is probed by its alias.
	dups := 0
	for _, fn := range picked {
		if fn.Name == "main.Sum[...]" {
			dups++
			if n := res.Names[fn.Entry]; !strings.HasPrefix(n, AliasPrefix) {
				t.Errorf("duplicate name %s at 0x%x probed as %q, not by an alias", fn.Name, fn.Entry, n)
			}
		}
	}
	if dups != 2 {
		t.Errorf("sampled %d functions named main.Sum[...], want the 2 instances", dups)
	}
	if !strings.Contains(ps.script, "(?Rect)") {
		t.Errorf("no pointer-receiver pattern in the script:\n%s", ps.script)
	}
}
