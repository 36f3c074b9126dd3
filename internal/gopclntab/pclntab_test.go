package gopclntab

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// TestStrippedMatchesSymbols: entries read from a stripped binary's
// .gopclntab equal the symbol table of the same build without -s, which has
// the identical text layout; internal and external linking both.
func TestStrippedMatchesSymbols(t *testing.T) {
	for _, link := range []string{"internal", "external"} {
		dir := t.TempDir()
		src := filepath.Dir(testenv.GoSource("main.go"))
		build := func(out, flags string) *elf.File {
			cmd := exec.Command("go", "build", "-o", out, "-ldflags="+flags+" -linkmode="+link)
			cmd.Dir = src
			cmd.Env = append(os.Environ(), "GO111MODULE=off", "CGO_ENABLED=1")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			f, err := elf.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
		stripped := build(filepath.Join(dir, "s"), "-s -w")
		twin := build(filepath.Join(dir, "t"), "-w")
		tab, err := Read(stripped)
		if err != nil {
			t.Fatalf("%s: %v", link, err)
		}
		syms, _ := twin.Symbols()
		// ABI0 wrappers share their function's name: a name has a set of
		// addresses, each of which the table must list.
		want := map[string]map[uint64]bool{}
		for _, s := range syms {
			if elf.ST_TYPE(s.Info) == elf.STT_FUNC {
				name := strings.TrimSuffix(s.Name, ".abi0")
				if want[name] == nil {
					want[name] = map[uint64]bool{}
				}
				want[name][s.Value] = true
			}
		}
		checked := 0
		for _, f := range tab.Funcs {
			if w, ok := want[f.Name]; ok {
				checked++
				if !w[f.Entry] {
					t.Errorf("%s %s: entry %#x, symbols %v", link, f.Name, f.Entry, w)
				}
			}
		}
		if checked < 1000 || len(tab.Lookup("main.Str")) != 1 {
			t.Errorf("%s: %d functions checked, main.Str %v", link, checked, tab.Lookup("main.Str"))
		}
	}
}

// FuzzRead feeds mutated Go binaries to every parser here: the table by
// its section and by the header scan, mapped and copied, and the type
// metadata behind GoidOffset. Errors are fine; panics and a table without
// an error's absence are not.
func FuzzRead(f *testing.F) {
	for _, v := range []testenv.GoVariant{testenv.GoStripped, testenv.Strip(testenv.GoPIEExt)} {
		if b, err := os.ReadFile(testenv.GoFixture(f, v)); err == nil {
			f.Add(b)
			f.Add(b[:len(b)/2])
		}
	}
	f.Add([]byte("\x7fELF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ef, err := elf.NewFile(bytes.NewReader(b))
		if err != nil {
			return
		}
		scan := newImage(ef, b)
		scan.noTableSection = true
		for _, m := range []*image{newImage(ef, nil), newImage(ef, b), scan} {
			tab, err := read(m)
			if (tab == nil) == (err == nil) {
				t.Fatalf("tab=%v err=%v", tab, err)
			}
			if tab != nil {
				if off, err := tab.GoidOffset(); err == nil && (off <= 0 || off > 1<<16) {
					t.Fatalf("goid offset %d", off)
				}
			}
		}
	})
}
