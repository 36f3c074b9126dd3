package gosource

import (
	"debug/buildinfo"
	"testing"
)

// BenchmarkMountCold is show's cost for syscall.Mount of a Go 1.19
// binary with nothing cached in the process: read the build info,
// parse the syscall package from golang-1.19-src, build the signature
// and check its frame.
func BenchmarkMountCold(b *testing.B) { benchCold(b, "syscall.Mount") }

// BenchmarkMethodCold is the same for a method whose receiver's struct
// reaches other packages (os.File -> internal/poll.FD -> sync, syscall).
func BenchmarkMethodCold(b *testing.B) { benchCold(b, "os.(*File).Write") }

func benchCold(b *testing.B, fn string) {
	bin := fixture119(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bi, err := buildinfo.ReadFile(bin)
		if err != nil {
			b.Fatal(err)
		}
		sig, err := New(bi, Options{}).Func(fn)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sig.Frame(regABIOptions(fn, true)); err != nil {
			b.Fatal(err)
		}
	}
}

func fixture119(t testing.TB) string { return fixture(t, toolchain{"go1.19", go119(t)}) }
