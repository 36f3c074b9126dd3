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
			var checked, agree, noSource, unknown, unsupported, closures int
			var bad, refused []string
			for _, n := range names {
				fn, err := parseFuncName(n)
				if err != nil || !isStd(fn.pkg) || fn.pkg == "main" {
					if err != nil {
						unsupported++
					}
					continue
				}
				sig, err := r.Func(n)
				if err != nil {
					var ns *NotInSourceError
					var us *UnsupportedError
					if errors.As(err, &us) {
						unsupported++
						continue
					}
					if !errors.As(err, &ns) {
						t.Errorf("%s: %v", n, err)
					}
					if noSource < 10 {
						t.Log("not declared: " + n)
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
					if fn.closure > 0 {
						// Literal numbering is the compiler's; the
						// check is what refuses a wrong guess.
						refused = append(refused, err.Error())
						continue
					}
					bad = append(bad, err.Error())
					continue
				}
				if fn.closure > 0 {
					closures++
				}
				agree++
			}
			t.Logf("%s (%s): %d standard-library functions checked, %d agree with _func.args; %d not declared in the source (compiler-generated), %d with an unresolved type; %d names of any package refused (generic, closures, generated)",
				tc.pkg, r.GoVersion(), checked, agree, noSource, unknown, unsupported)
			t.Logf("closures: %d agree, %d refused by the frame check", closures, len(refused))
			for _, b := range refused {
				t.Log("refused: " + b)
			}
			for _, b := range bad {
				t.Error(b)
			}
			if len(refused) > closures/100 {
				t.Errorf("%d closures refused, %d agree: the numbering rule is off", len(refused), closures)
			}
			if checked < 200 {
				t.Errorf("only %d functions checked", checked)
			}
		})
	}
}

// TestDebianGocodeFrames types the golang.org/x/sys functions of Debian's
// runc from Debian's golang-golang-x-sys-dev (the GOPATH Debian builds
// against) and checks each against runc's function table; unix.Mount,
// which the dockerd trace needs, must be among them.
func TestDebianGocodeFrames(t *testing.T) {
	go119(t)
	bin := filepath.Join(testenv.LabDir(), "corpus", "runc", "usr/sbin/runc")
	_, err := os.Stat(bin)
	testenv.Need(t, err == nil, "%s missing (run lab/corpus.sh or make lab)", bin)
	_, err = os.Stat(filepath.Join(debianGocode, "golang.org/x/sys/unix"))
	testenv.Need(t, err == nil, "apt-get install golang-golang-x-sys-dev")
	args, err := pclnArgs(bin)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(bin, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var checked, differ int
	for n, a := range args {
		fn, err := parseFuncName(n)
		if err != nil || !strings.HasPrefix(fn.pkg, "golang.org/x/sys/") {
			continue
		}
		sig, err := r.Func(n)
		if err != nil || sig.Unknown() != nil {
			continue
		}
		checked++
		recv := strings.Contains(n, ").") || fn.rest != ""
		if err := sig.Check(a, regABIOptions(n, recv)); err != nil {
			// Debian's -dev package may be a different version than
			// the one runc was built with: report, the check refuses.
			differ++
			t.Log(err)
		}
	}
	sig, err := r.Func("golang.org/x/sys/unix.Mount")
	if err != nil {
		t.Fatal(err)
	}
	if err := sig.Check(args["golang.org/x/sys/unix.Mount"], regABIOptions("golang.org/x/sys/unix.Mount", false)); err != nil {
		t.Error(err)
	}
	if !strings.HasPrefix(sig.Origin, "Debian's /usr/share/gocode/src") || len(sig.Params) != 5 || sig.Params[3].Type.GoName != "uintptr" {
		t.Errorf("unix.Mount: %+v", sig)
	}
	t.Logf("runc: %d golang.org/x/sys functions typed from %s, %d agree with _func.args", checked, debianGocode, checked-differ)
	if checked < 20 || differ > checked/20 {
		t.Errorf("%d checked, %d differ", checked, differ)
	}
}
