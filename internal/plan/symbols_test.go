package plan

import (
	"slices"
	"testing"
)

// TestKernelStackArgs: kernel backtraces of module probes ask stap for the
// symbols of each module probed and of the kernel (stap names and unwinds
// only what -d names once any -d is given); vmlinux probes need nothing,
// and no backtrace needs nothing.
func TestKernelStackArgs(t *testing.T) {
	pts := func(mods ...string) []Probe {
		var out []Probe
		for _, m := range mods {
			out = append(out, Probe{Points: []Point{{Kind: PointFunction, Module: m, Name: "f"}}})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		p    Plan
		want []string
	}{
		{"module", Plan{KernelStack: true, Probes: pts("overlay", "overlay", "macvlan")},
			[]string{"-d", "kernel", "-d", "overlay", "-d", "macvlan"}},
		{"module by path", Plan{KernelStack: true, Probes: pts("/x/overlay.ko")}, []string{"-d", "kernel", "-d", "/x/overlay.ko"}},
		{"vmlinux", Plan{KernelStack: true, Probes: pts("")}, nil},
		{"no backtrace", Plan{Probes: pts("overlay")}, nil},
	} {
		tc.p.setStapArgs()
		if !slices.Equal(tc.p.StapArgs, tc.want) {
			t.Errorf("%s: args %q, want %q", tc.name, tc.p.StapArgs, tc.want)
		}
	}
}
