package testenv

import (
	"debug/dwarf"
	"debug/elf"
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
