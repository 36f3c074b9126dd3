package command

import (
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestModuleTargets: a module by name, a debug .ko, an installed .ko and
// the target "kernel" all show macvlan_start_xmit with the types stap -L
// prints for it (stap 5.1 on the lab kernel: $skb:struct sk_buff*
// $dev:struct net_device*), and the scripts gen writes for them pass
// stap's pass 2.
func TestModuleTargets(t *testing.T) {
	root := testenv.SystemRoot(t)
	stap51 := labStap(t, lab.Trixie)
	r := testenv.KernelRelease()
	image := testenv.ModuleImageFile(t, "drivers/net/macvlan.ko")
	debug := testenv.ModuleDebugFile(t, "drivers/net/macvlan.ko")
	flags := []string{"-r", r, "--root", root}
	for _, tc := range []struct{ name, target, module string }{
		{"by name", "module:macvlan", ""},
		{"debug file", debug, ""},
		{"installed file", image, ""},
		{"kernel", "kernel", "module    macvlan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := stapgen(t, append(append([]string{"show"}, flags...), tc.target, "macvlan_start_xmit")...)
			if code != 0 {
				t.Fatalf("show: exit %d\n%s", code, errs)
			}
			// Columns are aligned: compare with single spaces.
			flat := strings.Join(strings.Fields(out), " ")
			for _, want := range []string{"source drivers/net/macvlan.c:568", "skb struct sk_buff*", "dev struct net_device*", strings.Join(strings.Fields(tc.module), " ")} {
				if !strings.Contains(flat, want) {
					t.Errorf("show lacks %q:\n%s", want, out)
				}
			}
			src, errs, code := stapgen(t, append(append([]string{"gen", "--return"}, flags...), tc.target, "macvlan_start_xmit")...)
			if code != 0 {
				t.Fatalf("gen: exit %d\n%s", code, errs)
			}
			if !strings.Contains(src, "probe module(") || strings.Contains(src, "process(") || strings.Contains(src, "kernel.function") {
				t.Errorf("gen does not probe the module:\n%s", src)
			}
			stapAccepts(t, stap51, src, "-r", r, "-p2")
			// A line of the module function, with a local in scope there,
			// is a module statement probe stap resolves too.
			src, errs, code = stapgen(t, append(append([]string{"gen"}, flags...), tc.target, "macvlan_start_xmit@drivers/net/macvlan.c:573", "--fields", "len,skb")...)
			if code != 0 || !strings.Contains(src, "probe module(") || !strings.Contains(src, `.statement("macvlan_start_xmit@drivers/net/macvlan.c:573")`) {
				t.Fatalf("gen of a line: exit %d\n%s%s", code, errs, src)
			}
			stapAccepts(t, stap51, src, "-r", r, "-p2")
			if tc.target == "kernel" {
				// A misspelt module function is suggested.
				_, errs, code := stapgen(t, append(append([]string{"show"}, flags...), "kernel", "macvlan_start_xmt")...)
				if code != ExitNotFound || !strings.Contains(errs, "macvlan_start_xmit") {
					t.Errorf("show of a misspelt module function: exit %d\n%s", code, errs)
				}
				listKernel(t, flags)
			}
		})
	}
}

// listKernel: list kernel finds vmlinux and module functions, and says
// which module: what stap 5.1 -L lists for the same names and globs
// (overlay's ovl_lookup at fs/overlayfs/namei.c:829, the inline-only
// ovl_lookup_upper at fs/overlayfs/overlayfs.h:325).
func listKernel(t *testing.T, flags []string) {
	out, errs, code := stapgen(t, append(append([]string{"list"}, flags...), "kernel", "ovl_lookup", "vfs_read", "ovl_lookup_u*")...)
	if code != 0 {
		t.Fatalf("list: exit %d\n%s", code, errs)
	}
	flat := "| " + strings.Join(strings.Fields(strings.ReplaceAll(out, "\n", " | ")), " ") + " |"
	for _, want := range []string{"| ovl_lookup fs/overlayfs/namei.c:829 [overlay] |", "| vfs_read fs/read_write.c:450 |",
		"| ovl_lookup_upper fs/overlayfs/overlayfs.h:325 [overlay] |"} {
		if !strings.Contains(flat, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
}
