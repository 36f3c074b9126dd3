package command

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// moduleRun runs stapgen on a module target of the lab kernel in the VM,
// the guest loading the modules probed (stap-vm finds them in the script)
// and mods besides (STAPVM_MODULES), and shipping files (STAPVM_FILES); it
// returns stdout and stderr, failing on exit != 0.
func moduleRun(t *testing.T, mods, files string, args ...string) (string, string) {
	t.Helper()
	vm := labStap(t, lab.VMModule)
	root := testenv.SystemRoot(t)
	t.Setenv("STAPVM_MODULES", mods)
	t.Setenv("STAPVM_FILES", files)
	out, errs, code := stapgen(t, append([]string{"run", "--stap", vm, "-r", testenv.KernelRelease(), "--root", root}, args...)...)
	if code != 0 {
		t.Fatalf("stapgen %q: exit %d\n%s", args, code, errs)
	}
	return out, errs
}

// kernelSyms are the text symbols of the lab vmlinux by address, from its
// System.map (nm's list: independent of stapgen). The guest boots with
// nokaslr, so its addresses are the link-time ones.
type kernelSyms struct {
	addrs []uint64
	names map[uint64][]string
}

func readSystemMap(t *testing.T) *kernelSyms {
	t.Helper()
	p := filepath.Join(filepath.Dir(testenv.Vmlinux(t)), "System.map")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ks := &kernelSyms{names: map[uint64][]string{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 3 || !strings.ContainsAny(fs[1], "tTwW") {
			continue
		}
		a, err := strconv.ParseUint(fs[0], 16, 64)
		if err != nil {
			continue
		}
		if _, seen := ks.names[a]; !seen {
			ks.addrs = append(ks.addrs, a)
		}
		ks.names[a] = append(ks.names[a], fs[2])
	}
	sort.Slice(ks.addrs, func(i, j int) bool { return ks.addrs[i] < ks.addrs[j] })
	return ks
}

// at names the symbols that hold a: those at the highest address <= a.
func (ks *kernelSyms) at(a uint64) []string {
	i := sort.Search(len(ks.addrs), func(i int) bool { return ks.addrs[i] > a })
	if i == 0 {
		return nil
	}
	return ks.names[ks.addrs[i-1]]
}

// moduleFuncs are the function symbols of a module's ELF file (the standard
// library's reading).
func moduleFuncs(t *testing.T, ko string) []string {
	t.Helper()
	f, err := elf.Open(ko)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			out = append(out, s.Name)
		}
	}
	return out
}

// moduleBase is where the kernel places modules on x86-64: frames at or
// above it are in a module, below it in vmlinux.
const moduleBase = 0xffffffffc0000000

// checkKernelStack checks a JSON kernel_stack against independent symbol
// tables: every frame is named; a vmlinux frame by one of System.map's
// names for its address, a module frame by a function of mod's file; the
// first frame is the probed function; the outermost is the syscall entry.
func checkKernelStack(t *testing.T, ev jsonEvent, fn string, ks *kernelSyms, modFuncs []string) {
	t.Helper()
	st := ev.field("kernel_stack")
	addrs, _ := st["value"].([]any)
	frames, _ := st["frames"].([]any)
	if len(addrs) < 3 || len(frames) != len(addrs) {
		t.Fatalf("kernel stack %v", st)
	}
	for i, a := range addrs {
		s, _ := a.(string)
		addr, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
		name, _ := frames[i].(string)
		if err != nil || name == "" {
			t.Errorf("frame %d: address %v, name %v", i, a, frames[i])
			continue
		}
		if addr >= moduleBase {
			if !slices.Contains(modFuncs, name) {
				t.Errorf("frame %d at %s named %q: no such function in the module", i, s, name)
			}
		} else if want := ks.at(addr); !slices.Contains(want, name) {
			t.Errorf("frame %d at %s named %q; System.map says %q", i, s, name, want)
		}
	}
	if frames[0] != fn {
		t.Errorf("innermost frame %v, want the probed %s", frames[0], fn)
	}
	if last := frames[len(frames)-1]; last != "entry_SYSCALL_64_after_hwframe" {
		t.Errorf("outermost frame %v, want the syscall entry", last)
	}
}

// TestOverlayModuleInVM: stapgen traces overlay.ko's ovl_lookup by module
// name while the guest mounts an overlay and looks names up in it; the
// decoded names are the names the guest used, in order, and the kernel
// backtraces name every frame (overlay's and vmlinux's) as the module's
// symbol table and System.map do; folded output names them too.
func TestOverlayModuleInVM(t *testing.T) {
	names := []string{"alpha", "beta", "gamma"}
	// The upper layer on a tmpfs: overlay needs xattrs there. Each name
	// is looked up once: a cat, an ls and a stat of names absent below.
	cmd := `/bin/sh -c 'mkdir /ovl && mount -t tmpfs t /ovl && cd /ovl && mkdir l u w m &&
echo x >l/alpha && mount -t overlay o -o lowerdir=/ovl/l,upperdir=/ovl/u,workdir=/ovl/w /ovl/m &&
cat /ovl/m/alpha >/dev/null && { ls /ovl/m/beta; stat /ovl/m/gamma; true; } >/dev/null 2>&1'`
	args := []string{"-c", cmd, "module:overlay", "ovl_lookup", "--fields", "dentry->d_name.name", "--backtrace", "kernel"}
	out, _ := moduleRun(t, "", "", append(args, "--format", "json")...)
	ks := readSystemMap(t)
	funcs := moduleFuncs(t, testenv.ModuleImageFile(t, "fs/overlayfs/overlay.ko"))
	var got []string
	for _, e := range exactEvents(t, out) {
		got = append(got, val(e, "dentry.d_name.name"))
		checkKernelStack(t, jsonEvent(e), "ovl_lookup", ks, funcs)
	}
	if !slices.Equal(got, names) {
		t.Errorf("ovl_lookup names %q, want what the guest looked up: %q\n%s", got, names, out)
	}
	out, _ = moduleRun(t, "", "", append(args, "--format", "folded")...)
	// One stack per syscall that looked a name up; each ends in the module
	// and starts at the syscall entry, with no frame left unnamed.
	lines := testenv.Lines([]byte(out))
	if len(lines) == 0 {
		t.Fatalf("no folded stacks:\n%s", out)
	}
	total := 0
	for _, l := range lines {
		stack, n, _ := strings.Cut(l, " ")
		c, _ := strconv.Atoi(n)
		total += c
		if !strings.HasPrefix(stack, "entry_SYSCALL_64_after_hwframe_[k];") || !strings.HasSuffix(stack, ";ovl_lookup_[k]") ||
			strings.Contains(stack, "0x") || strings.Contains(stack, "[unknown]") {
			t.Errorf("folded stack %q", l)
		}
	}
	if total != len(names) {
		t.Errorf("folded stacks count %d calls, want %d:\n%s", total, len(names), out)
	}
}

// TestMacvlanModuleInVM: stapgen traces macvlan.ko's macvlan_start_xmit
// while the guest sends Ethernet frames through a macvlan on a dummy
// parent (no network card: nothing leaves the VM; the guest loads dummy
// because it is asked to, macvlan because it is probed); the device names and
// lengths traced are the ones the sender says it sent.
func TestMacvlanModuleInVM(t *testing.T) {
	labStap(t, lab.VMModule)
	bin := filepath.Join(testenv.FixtureRoot(), "rawsend", "rawsend")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("gcc", "-O2", "-Wall", "-static", "-o", bin, "testdata/rawsend.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, b)
	}
	// IPv6 off, so that bringing mv0 up sends nothing of its own.
	cmd := `/bin/sh -c 'echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6; echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6;
ip link add d0 type dummy && ip link add link d0 name mv0 type macvlan && ip link set d0 up && ip link set mv0 up &&
` + bin + ` mv0 60 100 333 1514'`
	out, errs := moduleRun(t, "dummy", bin, "-c", cmd, "--format", "json", "--backtrace", "kernel",
		"module:macvlan", "macvlan_start_xmit", "--fields", "dev->name,skb->len")
	var want []string
	for _, m := range regexp.MustCompile(`(?m)^SENT (\S+) (\d+)$`).FindAllStringSubmatch(errs+out, -1) {
		want = append(want, m[1]+" "+m[2])
	}
	if len(want) != 4 {
		t.Fatalf("the sender reported %d frames:\n%s\n%s", len(want), out, errs)
	}
	ks := readSystemMap(t)
	funcs := moduleFuncs(t, testenv.ModuleImageFile(t, "drivers/net/macvlan.ko"))
	var got []string
	for _, e := range exactEvents(t, out) {
		got = append(got, val(e, "dev.name")+" "+val(e, "skb.len"))
		checkKernelStack(t, jsonEvent(e), "macvlan_start_xmit", ks, funcs)
	}
	if !slices.Equal(got, want) {
		t.Errorf("traced %q, the guest sent %q", got, want)
	}
}
