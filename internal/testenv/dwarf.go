package testenv

import (
	"debug/dwarf"
	"debug/elf"
	"iter"
	"testing"
)

// DWARF is path's DWARF as the standard library reads it: the independent
// view tests compare stapgen's readers with. It stays usable after the ELF
// file is closed (debug/elf copies the sections).
func DWARF(t testing.TB, path string) *dwarf.Data {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := f.DWARF()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Entries is every entry of d in order, as the standard library reads
// them, for tests that take what they expect from a walk of the DIEs; a
// read error fails t rather than ending the walk early, which would
// leave the test comparing with less. The reader comes with each entry,
// for SkipChildren.
func Entries(t testing.TB, d *dwarf.Data) iter.Seq2[*dwarf.Entry, *dwarf.Reader] {
	return func(yield func(*dwarf.Entry, *dwarf.Reader) bool) {
		r := d.Reader()
		for {
			e, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if e == nil || !yield(e, r) {
				return
			}
		}
	}
}
