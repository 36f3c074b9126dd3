package stap

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/stapgen/stapgen/internal/atomicfile"
)

// CachedVersion is Version remembered in dir (stapgen's cache) for as long
// as the stap binary stays the same file: `stap -V` ran before every
// generated run, 10-40 ms of the time to first event on the lab machine.
// The key is the binary's path, device, inode, size, modification and
// change times, and the environment the runner adds. A script (the lab's
// stap-host, a wrapper) adds the same for every absolute path in it that
// is an executable file, so upgrading the stap it runs is seen too. A
// wrapper choosing its stap some other way (from PATH, a variable) is
// not followed: run with --stap-version then, or --no-cache. dir "" means
// no cache.
func (r *Runner) CachedVersion(ctx context.Context, dir string) (Version, error) {
	key, ok := r.versionKey()
	if dir == "" || !ok {
		return r.Version(ctx)
	}
	sum := sha256.Sum256([]byte(key))
	p := filepath.Join(dir, "stap-version", hex.EncodeToString(sum[:12]))
	if b, err := os.ReadFile(p); err == nil {
		// The key heads the file, so a hash collision cannot mislead.
		if k, out, found := strings.Cut(string(b), "\n\n"); found && k == key {
			if v, err := ParseVersion(out); err == nil {
				return v, nil
			}
		}
	}
	out, err := r.versionOutput(ctx)
	if err != nil {
		return Version{}, err
	}
	v, err := ParseVersion(out)
	if err != nil {
		return Version{}, err
	}
	// A cache that cannot be written costs the next run a probe only.
	_ = atomicfile.Write(p, 0o644, func(f *os.File) error {
		_, err := f.WriteString(key + "\n\n" + out)
		return err
	})
	return v, nil
}

// versionKey identifies the stap that would run; false when the binary
// cannot be found or read (Version then says why).
func (r *Runner) versionKey() (string, bool) {
	path, err := exec.LookPath(r.path())
	if err != nil {
		return "", false
	}
	if path, err = filepath.Abs(path); err != nil {
		return "", false
	}
	id, ok := fileID(path)
	if !ok {
		return "", false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "stap %s\nenv %q\n", id, r.Env)
	head := make([]byte, 64<<10)
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	n, _ := f.Read(head)
	f.Close()
	if head = head[:n]; bytes.HasPrefix(head, []byte("#!")) {
		for _, w := range strings.FieldsFunc(string(head), func(c rune) bool {
			return c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '\'' || c == '=' || c == ';' || c == ':'
		}) {
			if !strings.HasPrefix(w, "/") {
				continue
			}
			if fi, err := os.Stat(w); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				if id, ok := fileID(w); ok {
					fmt.Fprintf(&b, "runs %s\n", id)
				}
			}
		}
	}
	// No blank line in the key: one ends it in the cache file.
	return strings.TrimSuffix(b.String(), "\n"), true
}

// fileID is what changes when a file is replaced or rewritten.
func fileID(path string) (string, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%s dev=%d ino=%d size=%d mtime=%d.%09d ctime=%d.%09d", path, st.Dev, st.Ino, st.Size,
		st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec), true
}
