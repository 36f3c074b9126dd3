package gofacts

import (
	"testing"

	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// BenchmarkListDockerd is `stapgen list dockerd NAME` without the printing:
// open Debian's 75 MB stripped dockerd (no .gopclntab section, PIE), read
// its function table with file:line, find one function. Target: < 0.3 s.
func BenchmarkListDockerd(b *testing.B) {
	bin := testenv.Corpus(b, "docker.io", "usr/sbin/dockerd")
	for i := 0; i < b.N; i++ {
		t, err := target.Open(bin)
		if err != nil {
			b.Fatal(err)
		}
		s, err := Stripped(t)
		if err != nil {
			b.Fatal(err)
		}
		if fs, err := s.Match("syscall.Mount"); err != nil || len(fs) != 1 {
			b.Fatal(fs, err)
		}
		t.Close()
	}
}
