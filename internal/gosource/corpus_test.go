package gosource

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// TestDebianCorpusFrames checks types from golang-1.19-src against
// stripped binaries Debian ships (built with Go 1.19, no DWARF): every
// standard-library function of the binary that source resolves must
// need the argument size its function table records.
func TestDebianCorpusFrames(t *testing.T) {
	go119(t)
	for _, tc := range []struct{ pkg, rel string }{
		{"runc", "usr/sbin/runc"},
		{"containerd", "usr/bin/containerd"},
	} {
		t.Run(tc.pkg, func(t *testing.T) {
			// lab/corpus.sh unpacks Debian's packages here.
			bin := filepath.Join(testenv.LabDir(), "corpus", tc.pkg, tc.rel)
			_, err := os.Stat(bin)
			testenv.Need(t, err == nil, "%s missing (run lab/corpus.sh or make lab)", bin)
			args, err := pclnArgs(bin)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Open(bin, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for n := range args {
				names = append(names, n)
			}
			sort.Strings(names)
			var checked, agree, noSource, unknown, unsupported int
			var bad []string
			for _, n := range names {
				fn, err := parseFuncName(n)
				if err != nil || !isStd(fn.pkg) || fn.pkg == "main" || closure.MatchString(n) {
					if err != nil {
						unsupported++
					}
					continue
				}
				sig, err := r.Func(n)
				if err != nil {
					var ns *NotInSourceError
					if !errors.As(err, &ns) {
						t.Errorf("%s: %v", n, err)
					}
					noSource++
					continue
				}
				if sig.Unknown() != nil {
					unknown++
					continue
				}
				checked++
				recv := strings.Contains(n, ").") || fn.rest != ""
				if err := sig.Check(args[n], regABIOptions(n, recv)); err != nil {
					bad = append(bad, err.Error())
					continue
				}
				agree++
			}
			t.Logf("%s (%s): %d standard-library functions checked, %d agree with _func.args; %d not declared in the source (compiler-generated), %d with an unresolved type; %d names of any package refused (generic, closures, generated)",
				tc.pkg, r.GoVersion(), checked, agree, noSource, unknown, unsupported)
			for _, b := range bad {
				t.Error(b)
			}
			if checked < 200 {
				t.Errorf("only %d functions checked", checked)
			}
		})
	}
}
