package gosource

import (
	"debug/buildinfo"
	"testing"
)

// BenchmarkMountCold is show's cost for syscall.Mount of a Go 1.19
// binary with nothing cached in the process: read the build info,
// parse the syscall package from golang-1.19-src, build the signature
// and check its frame.
func BenchmarkMountCold(b *testing.B) {
	bin := fixture119(b)
	for i := 0; i < b.N; i++ {
		bi, err := buildinfo.ReadFile(bin)
		if err != nil {
			b.Fatal(err)
		}
		sig, err := New(bi, Options{}).Func("syscall.Mount")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sig.Frame(regABIOptions("syscall.Mount", false)); err != nil {
			b.Fatal(err)
		}
	}
}

func fixture119(t testing.TB) string { return fixture(t, toolchain{"go1.19", go119(t)}) }
