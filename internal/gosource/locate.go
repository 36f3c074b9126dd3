package gosource

import (
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// Options name where source may be found, beyond what the machine has
// in its standard places.
type Options struct {
	// Signature is a --signature: it gives the types of the function
	// asked for, whatever its name.
	Signature string
	// GoSource is a --go-source: a GOROOT (or its src directory) of the
	// binary's Go version.
	GoSource string
	// Source is a --source: the main module's tree, vendor/ included.
	Source string
	// ModCache overrides $GOMODCACHE / `go env GOMODCACHE`.
	ModCache string
	// GoRoots overrides the standard GOROOT candidates (tests):
	// Debian's /usr/share/go-X.Y, /usr/lib/go-X.Y, $GOROOT and /usr/local/go.
	GoRoots []string
}

// debianGocode is the GOPATH Debian's golang-*-dev packages fill.
const debianGocode = "/usr/share/gocode/src"

// origin says where a package's source came from, for show.
type origin struct {
	dir  string
	what string // "Go 1.19 source", "module golang.org/x/sys@v0.6.0", "--source"
}

// locator finds package directories for one binary.
type locator struct {
	opts      Options
	goVersion string
	bi        *buildinfo.BuildInfo

	modOnce  sync.Once
	modCache string

	srcOnce sync.Once
	srcs    []string
	// rootsLooked are the GOROOT/src directories findGoRootSrcs checked,
	// held or not: one appearing later changes the answers.
	lookedMu    sync.Mutex
	rootsLooked []string
}

// goRootSrcs lists GOROOT/src directories that hold the binary's Go
// version, best first: --go-source, then Debian's golang-X.Y-src, then a
// GOROOT whose VERSION has the same major.minor, then a toolchain the go
// command downloaded into the module cache.
func (l *locator) goRootSrcs() []string {
	l.srcOnce.Do(func() { l.srcs = l.findGoRootSrcs() })
	return l.srcs
}

func (l *locator) findGoRootSrcs() []string {
	minor := goMinor(l.goVersion)
	var out []string
	if d := l.opts.GoSource; d != "" {
		if isDir(filepath.Join(d, "src", "runtime")) {
			out = append(out, filepath.Join(d, "src"))
		} else {
			out = append(out, d)
		}
	}
	roots := l.opts.GoRoots
	if roots == nil {
		mm := "1." + strconv.Itoa(minor)
		roots = []string{"/usr/share/go-" + mm, "/usr/lib/go-" + mm}
		if g := os.Getenv("GOROOT"); g != "" {
			roots = append(roots, g)
		}
		roots = append(roots, "/usr/local/go", "/usr/lib/go")
	}
	for _, r := range roots {
		l.lookedAt(filepath.Join(r, "src"))
		if goMinor(rootVersion(r)) == minor && minor >= 0 && isDir(filepath.Join(r, "src")) {
			out = append(out, filepath.Join(r, "src"))
		}
	}
	if len(out) == 0 && l.opts.GoRoots == nil && l.goVersion != "" {
		// Last, a toolchain GOTOOLCHAIN downloaded; finding the module
		// cache may run the go command, so only when nothing else has it.
		if mc := l.modCacheDir(); mc != "" {
			r := filepath.Join(mc, "golang.org", "toolchain@v0.0.1-"+l.goVersion+".linux-amd64")
			l.lookedAt(filepath.Join(r, "src"))
			if isDir(filepath.Join(r, "src")) {
				out = append(out, filepath.Join(r, "src"))
			}
		}
	}
	return out
}

func (l *locator) lookedAt(dir string) {
	l.lookedMu.Lock()
	l.rootsLooked = append(l.rootsLooked, dir)
	l.lookedMu.Unlock()
}

// looked is what lookedAt recorded.
func (l *locator) looked() []string {
	l.lookedMu.Lock()
	defer l.lookedMu.Unlock()
	return append([]string(nil), l.rootsLooked...)
}

// rootVersion reads a GOROOT's VERSION file ("go1.19.8"); Debian's
// /usr/share/go-1.19 has none, its name says it.
func rootVersion(root string) string {
	if b, err := os.ReadFile(filepath.Join(root, "VERSION")); err == nil {
		return strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	}
	base := filepath.Base(root)
	if v, ok := strings.CutPrefix(base, "go-"); ok {
		return "go" + v
	}
	return ""
}

func (l *locator) modCacheDir() string {
	l.modOnce.Do(func() {
		switch {
		case l.opts.ModCache != "":
			l.modCache = l.opts.ModCache
		case os.Getenv("GOMODCACHE") != "":
			l.modCache = os.Getenv("GOMODCACHE")
		default:
			if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
				l.modCache = strings.TrimSpace(string(out))
			} else if h, err := os.UserHomeDir(); err == nil {
				l.modCache = filepath.Join(h, "go", "pkg", "mod")
			}
		}
	})
	return l.modCache
}

// escapePath spells a module path or version as the module cache does:
// each capital letter becomes '!' and its lower case.
func escapePath(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// module returns the build info's module that holds pkgPath (the
// longest matching path), nil for none.
func (l *locator) module(pkgPath string) (*debug.Module, bool) {
	if l.bi == nil {
		return nil, false
	}
	var best *debug.Module
	main := false
	try := func(m *debug.Module, isMain bool) {
		if m == nil || m.Path == "" {
			return
		}
		if pkgPath == m.Path || strings.HasPrefix(pkgPath, m.Path+"/") {
			if best == nil || len(m.Path) > len(best.Path) {
				best, main = m, isMain
			}
		}
	}
	try(&l.bi.Main, true)
	for _, d := range l.bi.Deps {
		try(d, false)
	}
	return best, main
}

// isStd reports whether an import path is the standard library's: its
// first element has no dot (std's own vendored packages are "vendor/...").
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// candidates lists the directories that may hold pkgPath, best first.
// "main" is the build info's main package.
func (l *locator) candidates(pkgPath string) []origin {
	var out []origin
	if pkgPath == "main" && l.bi != nil {
		pkgPath = l.bi.Path
		if abs, ok := strings.CutPrefix(pkgPath, "_"); ok && filepath.IsAbs(abs) {
			// GOPATH-mode builds of a directory record it as "_/abs/dir".
			out = append(out, origin{dir: abs, what: "the main package's build directory"})
		}
	}
	mod, isMain := l.module(pkgPath)
	if src := l.opts.Source; src != "" {
		if mod != nil && isMain {
			out = append(out, origin{dir: filepath.Join(src, strings.TrimPrefix(strings.TrimPrefix(pkgPath, mod.Path), "/")), what: "--source"})
		} else if mp := l.mainPath(); mod == nil && mp != "" && strings.HasPrefix(pkgPath, mp+"/") {
			// GOPATH builds (Debian's) record no modules: the tree is
			// the main package's.
			out = append(out, origin{dir: filepath.Join(src, strings.TrimPrefix(pkgPath, mp+"/")), what: "--source"})
		}
		out = append(out, origin{dir: filepath.Join(src, "vendor", pkgPath), what: "--source vendor/"})
		if mod == nil && !isStd(pkgPath) {
			// --source may be a GOPATH (DIR/src/<import path>), as
			// Debian's builds use.
			out = append(out, origin{dir: filepath.Join(src, "src", pkgPath), what: "--source GOPATH"})
		}
		if mod == nil && !isStd(pkgPath) || pkgPath == l.mainPath() {
			out = append(out, origin{dir: src, what: "--source"})
		}
	}
	if mod != nil {
		m := *mod
		if mod.Replace != nil {
			m = *mod.Replace
		}
		sub := strings.TrimPrefix(strings.TrimPrefix(pkgPath, mod.Path), "/")
		switch {
		case m.Version == "" && filepath.IsAbs(m.Path):
			out = append(out, origin{dir: filepath.Join(m.Path, sub), what: "replacement " + m.Path})
		case m.Version != "" && m.Version != "(devel)":
			if mc := l.modCacheDir(); mc != "" {
				out = append(out, origin{dir: filepath.Join(mc, escapePath(m.Path)+"@"+escapePath(m.Version), sub),
					what: "module " + m.Path + "@" + m.Version})
			}
		}
	}
	if mod == nil && !isStd(pkgPath) {
		// Debian builds its Go packages in GOPATH mode against the
		// sources its golang-*-dev packages install here.
		out = append(out, origin{dir: filepath.Join(debianGocode, pkgPath), what: "Debian's " + debianGocode})
	}
	if mod == nil && isStd(pkgPath) && pkgPath != l.mainPath() {
		for _, src := range l.goRootSrcs() {
			out = append(out, origin{dir: filepath.Join(src, pkgPath), what: l.goLabel() + " source " + src})
		}
	}
	return out
}

func (l *locator) mainPath() string {
	if l.bi == nil {
		return ""
	}
	return l.bi.Path
}

func (l *locator) goLabel() string {
	if m := goMinor(l.goVersion); m >= 0 {
		return "Go 1." + strconv.Itoa(m)
	}
	return "Go"
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
