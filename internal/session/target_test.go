package session

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// TestGoLayout: the layout show prints is the plan's: RET sites as objdump
// disassembles them, and nothing for a function that is not Go.
func TestGoLayout(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	bin := testenv.GoFixture(t, testenv.GoDefault)
	tg, err := Open(bin, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	fns, err := tg.Lookup("main.Many")
	if err != nil || len(fns) != 1 {
		t.Fatalf("lookup: %v %v", fns, err)
	}
	l, ok := tg.GoLayout(fns[0])
	if !ok {
		t.Fatal("no Go layout for main.Many")
	}
	var rets []string
	for _, r := range l.Rets {
		rets = append(rets, fmt.Sprintf("0x%x", r))
	}
	if want := testenv.ObjdumpRets(t, bin, "main.Many"); strings.Join(rets, " ") != strings.Join(want, " ") || len(want) == 0 {
		t.Errorf("rets %v, objdump says %v", rets, want)
	}
	if len(l.Params) != len(fns[0].Params) || l.Body <= fns[0].Entry {
		t.Errorf("layout %+v for %d params at entry 0x%x", l, len(fns[0].Params), fns[0].Entry)
	}

	cbin := testenv.CFixture(t, testenv.CO0)
	ct, err := Open(cbin, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ct.Close()
	cf, err := ct.Lookup("greet")
	if err != nil || len(cf) == 0 {
		t.Fatalf("lookup greet: %v %v", cf, err)
	}
	if l, ok := ct.GoLayout(cf[0]); ok {
		t.Errorf("a C function has a Go layout: %+v", l)
	}
}

// TestOpenStages: a failure says which input it was about, and keeps the
// cause for errors.Is.
func TestOpenStages(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, release string
		stage         Stage
		cause         error
	}{
		{filepath.Join(dir, "missing"), "", StageTargetFile, fs.ErrNotExist},
		{"kernel", "0.0-no-such-release", StageResolve, nil},
	} {
		_, err := Open(tc.name, OpenOptions{Release: tc.release})
		var se *Error
		if !errors.As(err, &se) || se.Stage != tc.stage || tc.cause != nil && !errors.Is(err, tc.cause) {
			t.Errorf("%s: %v (%#v), want stage %d", tc.name, err, err, tc.stage)
		}
	}
}

func TestReleaseFromPath(t *testing.T) {
	for p, want := range map[string]string{
		"/usr/lib/debug/boot/vmlinux-6.1.0-47-cloud-amd64":       "6.1.0-47-cloud-amd64",
		"/usr/lib/debug/boot/vmlinux-6.1.0-47-cloud-amd64.debug": "6.1.0-47-cloud-amd64",
		"/lib/modules/6.1.0-9-amd64/build/vmlinux":               "6.1.0-9-amd64",
		"/tmp/vmlinux": "",
	} {
		if got := releaseFromPath(p); got != want {
			t.Errorf("%s: %q, want %q", p, got, want)
		}
	}
}
