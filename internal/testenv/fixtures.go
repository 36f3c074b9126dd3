package testenv

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// FixtureRoot is where fixtures are built. It is a fixed path, not a test
// temp dir, because the lab needs targets at the same path on the host, in
// the trixie chroot and in the guest VM. STAPGEN_FIXTURES overrides it.
func FixtureRoot() string {
	if d := os.Getenv("STAPGEN_FIXTURES"); d != "" {
		return d
	}
	return "/var/tmp/stapgen-fixtures"
}

// GoVariant is one way of building the Go fixture.
type GoVariant string

const (
	GoDefault  GoVariant = "default"  // go build
	GoNoOpt    GoVariant = "noopt"    // -gcflags=all=-N -l
	GoPIE      GoVariant = "pie"      // -buildmode=pie
	GoExternal GoVariant = "external" // -ldflags=-linkmode=external (cgo linker)
	GoStripped GoVariant = "stripped" // -ldflags=-s -w
	GoPIEExt   GoVariant = "pieext"   // -buildmode=pie -ldflags=-linkmode=external: as Debian builds
	GoARM64    GoVariant = "arm64"    // GOARCH=arm64: a binary stapgen must refuse
)

// Strip is variant v run through strip(1): no .symtab, no DWARF, the same
// addresses as v, which is its twin.
func Strip(v GoVariant) GoVariant { return v + stripSuffix }

const stripSuffix = "+strip"

// GoVariants lists every variant, for table tests.
var GoVariants = []GoVariant{GoDefault, GoNoOpt, GoPIE, GoExternal, GoStripped}

func (v GoVariant) args() []string {
	switch GoVariant(strings.TrimSuffix(string(v), stripSuffix)) {
	case GoNoOpt:
		return []string{"-gcflags=all=-N -l"}
	case GoPIE:
		return []string{"-buildmode=pie"}
	case GoExternal:
		return []string{"-ldflags=-linkmode=external"}
	case GoStripped:
		return []string{"-ldflags=-s -w"}
	case GoPIEExt:
		return []string{"-buildmode=pie", "-ldflags=-linkmode=external"}
	}
	return nil
}

// CVariant is one way of building the C fixture.
type CVariant string

const (
	CO0 CVariant = "O0" // gcc -g -O0
	CO2 CVariant = "O2" // gcc -g -O2
)

var buildMu sync.Mutex

func sourceDir(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "fixtures", name)
}

// hashDir keys a build by its sources, their directory and flags, so a
// changed fixture is rebuilt and an unchanged one is reused across packages
// and runs. The directory counts because builds record source paths: two
// worktrees' builds differ in their DWARF and line tables.
func hashDir(dir string, extra ...string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", dir)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		fmt.Fprintf(h, "%s\x00%d\x00", e.Name(), len(b))
		h.Write(b)
	}
	for _, x := range extra {
		fmt.Fprintf(h, "%s\x00", x)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func build(t testing.TB, out string, cmd *exec.Cmd) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if _, err := os.Stat(out); err == nil {
		return out
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := out + fmt.Sprintf(".tmp%d", os.Getpid())
	// The output flag is the last two arguments of every build command.
	cmd.Args = append(cmd.Args, "-o", tmp)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build fixture %s: %v\n%s", out, err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// GoFixture builds the Go fixture (fixtures/gofix) in the given variant
// with the host's Go and returns the binary's absolute path.
func GoFixture(t testing.TB, v GoVariant) string {
	t.Helper()
	NeedTool(t, "go")
	return GoFixtureWith(t, "go", v)
}

// GoFixtureWith builds the Go fixture with the go command goCmd (another
// toolchain: Go119), cached by the toolchain's version.
func GoFixtureWith(t testing.TB, goCmd string, v GoVariant) string {
	t.Helper()
	ver := goVersion(t, goCmd)
	src := sourceDir("gofix")
	out := filepath.Join(FixtureRoot(), "go-"+hashDir(src, string(v), ver), string(v), "gofix")
	args := append([]string{"build", "-trimpath=false"}, v.args()...)
	cmd := exec.Command(goCmd, args...)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=off", "GOTOOLCHAIN=local")
	base := GoVariant(strings.TrimSuffix(string(v), stripSuffix))
	if base == GoExternal || base == GoPIEExt {
		cmd.Env = append(cmd.Env, "CGO_ENABLED=1")
	}
	if base == GoARM64 {
		cmd.Env = append(cmd.Env, "GOARCH=arm64", "CGO_ENABLED=0")
	}
	if base != v {
		NeedTool(t, "strip")
		cmd.Args = append([]string{"sh", "-c", `"$0" "$@" && for last; do :; done && strip "$last"`}, cmd.Args...)
		cmd.Path, _ = exec.LookPath("sh")
	}
	return build(t, out, cmd)
}

var (
	goVersionsMu sync.Mutex
	goVersions   = map[string]string{}
)

// goVersion is the toolchain's version (go1.19.8), the fixture cache key.
func goVersion(t testing.TB, goCmd string) string {
	t.Helper()
	goVersionsMu.Lock()
	defer goVersionsMu.Unlock()
	if v, ok := goVersions[goCmd]; ok {
		return v
	}
	if goCmd == "go" {
		goVersions[goCmd] = runtime.Version()
		return runtime.Version()
	}
	cmd := exec.Command(goCmd, "env", "GOVERSION")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s env GOVERSION: %v", goCmd, err)
	}
	goVersions[goCmd] = strings.TrimSpace(string(b))
	return goVersions[goCmd]
}

// CFixture builds the C fixture (fixtures/cfix) and returns its path.
func CFixture(t testing.TB, v CVariant) string {
	t.Helper()
	return CProgram(t, "cfix", v)
}

// CProgram builds the C program fixtures/NAME/NAME.c and returns its path:
// cfix, or rfix (a function returning each kind of value).
func CProgram(t testing.TB, name string, v CVariant) string {
	t.Helper()
	NeedTool(t, "gcc")
	src := sourceDir(name)
	out := filepath.Join(FixtureRoot(), "c-"+hashDir(src, string(v)), string(v), name)
	cmd := exec.Command("gcc", "-g", "-"+string(v), "-fno-omit-frame-pointer", filepath.Join(src, name+".c"))
	return build(t, out, cmd)
}

// CXXFixture builds the C++ fixture (fixtures/cxxfix) with g++ and
// returns its path.
func CXXFixture(t testing.TB, v CVariant) string {
	t.Helper()
	return cxxBuild(t, "cxxfix", v)
}

// CXXStd builds fixtures/cxxstd, a program over the C++ standard library.
func CXXStd(t testing.TB) string {
	t.Helper()
	return cxxBuild(t, "cxxstd", CO0)
}

func cxxBuild(t testing.TB, name string, v CVariant) string {
	t.Helper()
	NeedTool(t, "g++")
	src := sourceDir(name)
	out := filepath.Join(FixtureRoot(), name+"-"+hashDir(src, string(v)), string(v), name)
	cmd := exec.Command("g++", "-g", "-"+string(v), "-fno-omit-frame-pointer", filepath.Join(src, name+".cc"))
	return build(t, out, cmd)
}

// GoSource returns the path of a fixture source file, for tests that parse
// what the fixture declares.
func GoSource(name string) string { return filepath.Join(sourceDir("gofix"), name) }

// Lines splits program output into lines, dropping the final empty one.
func Lines(b []byte) []string {
	s := strings.TrimRight(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// CmdGo builds cmd/go (about 20 MB) into the fixture root: a large Go
// input with hundreds of units, for benchmarks and cache tests.
func CmdGo(t testing.TB) string {
	t.Helper()
	NeedTool(t, "go")
	out := filepath.Join(FixtureRoot(), "cmdgo-"+runtime.Version(), "go")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	os.MkdirAll(filepath.Dir(out), 0o755)
	tmp := out + ".tmp"
	if b, err := exec.Command("go", "build", "-o", tmp, "cmd/go").CombinedOutput(); err != nil {
		t.Fatalf("build cmd/go: %v\n%s", err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Libc is the host's glibc with Debian's libc6-dbg debug file for it
// (found by build-id under /usr/lib/debug), for alias and stap -L tests.
func Libc(t testing.TB) string {
	t.Helper()
	const p = "/lib/x86_64-linux-gnu/libc.so.6"
	_, err := os.Stat("/usr/lib/debug/.build-id")
	ok := err == nil && exec.Command("dpkg", "-s", "libc6-dbg").Run() == nil
	Need(t, ok, "libc6-dbg not installed (lab/deps.sh installs it)")
	return p
}

// LibcCopy copies the host's glibc and its libc6-dbg debug file into a
// fixture directory (the debug file under the name libc.so.6's
// .gnu_debuglink gives, which elfutils looks for beside the library) and
// returns the directory, with the dynamic linker of the same glibc. The
// lab's stap 5.1 runs in a trixie chroot, and the VM guest boots an
// initramfs, whose /lib have trixie's glibc: a copy at a fixture path is
// the same file for the host, the chroot and the guest.
func LibcCopy(t testing.TB) string {
	t.Helper()
	libc := Libc(t)
	id := buildID(t, libc)
	dbg := filepath.Join("/usr/lib/debug/.build-id", id[:2], id[2:]+".debug")
	dir := filepath.Join(FixtureRoot(), "glibc-"+id)
	buildMu.Lock()
	defer buildMu.Unlock()
	if _, err := os.Stat(filepath.Join(dir, "libc.so.6")); err == nil {
		return dir
	}
	tmp := dir + fmt.Sprintf(".tmp%d", os.Getpid())
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{libc: "libc.so.6", dbg: id[2:] + ".debug", "/lib64/ld-linux-x86-64.so.2": "ld-linux-x86-64.so.2"}
	for src, dst := range files {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, dst), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildID reads the GNU build-id note of an ELF file, in hex.
func buildID(t testing.TB, path string) string {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.Section(".note.gnu.build-id")
	if s == nil {
		t.Fatalf("%s: no build-id note", path)
	}
	b, err := s.Data()
	if err != nil || len(b) < 16 {
		t.Fatalf("%s: build-id note: %v", path, err)
	}
	namesz, descsz := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
	off := 12 + (namesz+3)&^3
	if int(off+descsz) > len(b) {
		t.Fatalf("%s: short build-id note", path)
	}
	return hex.EncodeToString(b[off : off+descsz])
}

// MallocFixture builds fixtures/mallocfix, which prints the sizes it
// allocates, against the glibc in libdir ("" for the system's; a LibcCopy
// directory through its rpath) and returns its path.
func MallocFixture(t testing.TB, libdir string) string {
	t.Helper()
	NeedTool(t, "gcc")
	src := sourceDir("mallocfix")
	out := filepath.Join(FixtureRoot(), "malloc-"+hashDir(src, libdir, "ld"), "mallocfix")
	args := []string{"-g", "-O0", filepath.Join(src, "mallocfix.c")}
	if libdir != "" {
		// Its own loader too: glibc's libc and ld.so go together.
		args = append(args, "-Wl,-rpath,"+libdir, "-Wl,--dynamic-linker="+filepath.Join(libdir, "ld-linux-x86-64.so.2"))
	}
	return build(t, out, exec.Command("gcc", args...))
}
