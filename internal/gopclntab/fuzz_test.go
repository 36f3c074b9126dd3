package gopclntab

import (
	"bytes"
	"debug/elf"
	"os"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

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
				if base, end, err := tab.Types(); err == nil {
					// Any word of the range is a type word a record may
					// carry: each reads as a type or an error, in bounded
					// time and memory.
					for a := base; a < end && a < base+1<<12; a += 8 {
						tab.TypeAt(a)
					}
				}
			}
		}
	})
}
