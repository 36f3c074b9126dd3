package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// OtherGo are the released toolchains the tests also build with, beside
// Debian's Go 1.19 and the host's: one per moduledata and prologue layout
// (1.21: the first GOTOOLCHAIN serves; 1.24: trixie's; 1.27: newer than
// the host's, with typedesclen in the moduledata).
var OtherGo = []string{"go1.21.13", "go1.24.0", "go1.27.3"}

// CorpusDir is where lab/corpus.sh unpacks real-world packages from
// Debian's archive, one directory per package.
func CorpusDir() string { return filepath.Join(LabDir(), "corpus") }

// Corpus returns the file rel ("usr/sbin/dockerd") unpacked from the
// Debian package pkg ("docker.io"), skipping (failing under CI) when the
// corpus has not been fetched.
func Corpus(t testing.TB, pkg, rel string) string {
	t.Helper()
	Long(t, "reads the lab's Debian corpus")
	p := filepath.Join(CorpusDir(), pkg, rel)
	_, err := os.Stat(p)
	Need(t, err == nil, "corpus file %s missing (run `lab/corpus.sh` or `make lab`)", p)
	return p
}

// Go119 is Debian bookworm's Go 1.19 go command (golang-1.19-go), the
// toolchain Debian built the corpus daemons with.
func Go119(t testing.TB) string {
	t.Helper()
	Long(t, "builds with the lab's Go 1.19")
	const p = "/usr/lib/go-1.19/bin/go"
	_, err := os.Stat(p)
	Need(t, err == nil, "%s missing: apt-get install golang-1.19-go (lab/corpus.sh does)", p)
	return p
}

// GoToolchain is the go command of a released toolchain ("go1.27.3") as
// GOTOOLCHAIN fetches it from the Go module proxy into the module cache
// (lab/corpus.sh does).
func GoToolchain(t testing.TB, version string) string {
	t.Helper()
	Long(t, "builds with another Go toolchain from the lab")
	NeedTool(t, "go")
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	Need(t, err == nil, "go env GOMODCACHE: %v", err)
	p := filepath.Join(strings.TrimSpace(string(out)), "golang.org", "toolchain@v0.0.1-"+version+".linux-amd64", "bin", "go")
	_, err = os.Stat(p)
	Need(t, err == nil, "%s missing: run `GOTOOLCHAIN=%s go version` (lab/corpus.sh does)", p, version)
	return p
}

// CoreutilsLs is coreutils' ls built from Debian's source package with
// -g (lab/coreutils.sh: apt-get source, build-dep, configure, make src/ls),
// under the corpus directory that the lab's chroot and VM see.
func CoreutilsLs(t testing.TB) string {
	t.Helper()
	Long(t, "traces the lab's coreutils build")
	p := filepath.Join(CorpusDir(), "coreutils-g", "ls")
	_, err := os.Stat(p)
	Need(t, err == nil, "%s missing (run `lab/coreutils.sh`; `make lab` does)", p)
	return p
}
