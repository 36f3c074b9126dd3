package session

import (
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/testenv"
)

// benchOpen opens target in the lab's system root and runs query on it,
// once per iteration, as one stapgen command does (caches warm).
func benchOpen(b *testing.B, target string, query func(*Target) ([]*debuginfo.Function, error), ok func([]*debuginfo.Function) bool) {
	o := OpenOptions{Release: testenv.KernelRelease(), Root: testenv.SystemRoot(b)}
	for b.Loop() {
		t, err := Open(target, o)
		if err != nil {
			b.Fatal(err)
		}
		fns, err := query(t)
		if err != nil || !ok(fns) {
			b.Fatal(len(fns), err)
		}
		t.Close()
	}
}

func lookup(name string) func(*Target) ([]*debuginfo.Function, error) {
	return func(t *Target) ([]*debuginfo.Function, error) { return t.Lookup(name) }
}

// BenchmarkShowModuleFunction is `show module:macvlan macvlan_start_xmit`:
// open the module by name, look the function up (target: under 50 ms).
func BenchmarkShowModuleFunction(b *testing.B) {
	benchOpen(b, "module:macvlan", lookup("macvlan_start_xmit"), func(fns []*debuginfo.Function) bool { return len(fns[0].Params) > 0 })
}

// BenchmarkShowKernelModuleFunction is the same function through the
// target "kernel" (vmlinux, then the module catalog).
func BenchmarkShowKernelModuleFunction(b *testing.B) {
	benchOpen(b, "kernel", lookup("macvlan_start_xmit"), func(fns []*debuginfo.Function) bool { return fns[0].Module != "" })
}

// BenchmarkListKernel is `list kernel 'ovl_lookup*' 'tcp_v4_*'` over
// vmlinux and all 1,121 modules (target: under 1 s).
func BenchmarkListKernel(b *testing.B) {
	benchOpen(b, "kernel", func(t *Target) ([]*debuginfo.Function, error) { return t.Match("ovl_lookup*", "tcp_v4_*") },
		func(fns []*debuginfo.Function) bool { return len(fns) >= 20 })
}
