package session

import (
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// BenchmarkShowModuleFunction is `show module:macvlan macvlan_start_xmit`
// with the caches warm: open the module by name, look the function up
// (target: under 50 ms).
func BenchmarkShowModuleFunction(b *testing.B) {
	o := OpenOptions{Release: testenv.KernelRelease(), Root: testenv.SystemRoot(b)}
	for b.Loop() {
		t, err := Open("module:macvlan", o)
		if err != nil {
			b.Fatal(err)
		}
		if fns, err := t.Lookup("macvlan_start_xmit"); err != nil || len(fns[0].Params) == 0 {
			b.Fatal(fns, err)
		}
		t.Close()
	}
}

// BenchmarkShowKernelModuleFunction is the same function through the
// target "kernel" (vmlinux, then the module catalog).
func BenchmarkShowKernelModuleFunction(b *testing.B) {
	o := OpenOptions{Release: testenv.KernelRelease(), Root: testenv.SystemRoot(b)}
	for b.Loop() {
		t, err := Open("kernel", o)
		if err != nil {
			b.Fatal(err)
		}
		if fns, err := t.Lookup("macvlan_start_xmit"); err != nil || fns[0].Module == "" {
			b.Fatal(fns, err)
		}
		t.Close()
	}
}

// BenchmarkListKernel is `list kernel 'ovl_lookup*' 'tcp_v4_*'` over vmlinux
// and all 1,121 modules, warm (target: under 1 s).
func BenchmarkListKernel(b *testing.B) {
	o := OpenOptions{Release: testenv.KernelRelease(), Root: testenv.SystemRoot(b)}
	for b.Loop() {
		t, err := Open("kernel", o)
		if err != nil {
			b.Fatal(err)
		}
		fns, err := t.Match("ovl_lookup*", "tcp_v4_*")
		if err != nil || len(fns) < 20 {
			b.Fatal(len(fns), err)
		}
		t.Close()
	}
}
