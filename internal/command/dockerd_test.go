package command

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// Debian's own dockerd (Go 1.19.8, PIE, externally linked, stripped), started
// in the lab VM, traced by a script stapgen wrote, and checked against a
// second, independent view of the same mounts from the kernel.

// kernelMountOracle is the test's own view of every mount dockerd makes, seen
// where the kernel resolves it (path_mount: the target as a resolved path,
// the strings already copied from user memory). It shares no code with
// stapgen, which is why it is written here by hand and not generated: it
// must stay right even when stapgen's templates are wrong. Fields are
// tab-separated so empty strings (MS_SHARED passes "" as source and type)
// survive.
const kernelMountOracle = `
probe kernel.function("path_mount")
{
	if (execname() != "dockerd") next
	src = ""; typ = ""; dat = ""
	if ($dev_name) src = kernel_string($dev_name)
	if ($type_page) typ = kernel_string($type_page)
	if ($data_page) try { dat = kernel_string_n($data_page, 1024) } catch { }
	printf("KMOUNT\t%d\t%d\t%s\t%s\t%s\t%d\t%s\n", pid(), tid(), src, fullpath_struct_path($path), typ, $flags, dat)
}
probe kernel.function("path_mount").return
{
	if (execname() != "dockerd") next
	printf("KMOUNTRET\t%d\t%d\t%d\n", pid(), tid(), $return)
}
`

// dockerdRoot is the data root the test hands dockerd: the daemon makes it
// a shared mount point of its own (a bind mount onto itself unless it
// already is one, then MS_SHARED) first thing in its start-up.
const dockerdRoot = "/var/lib/docker"

// dockerdStartup is the guest command: dockerd with Debian's containerd
// and runc on its PATH (it starts containerd itself), cgroup v2 mounted
// (without a devices cgroup it refuses to start), and nothing that needs a
// network: no iptables, no bridge. The shell waits until dockerd logs that
// its API listens (the end of its start-up) or dies, then prints its log
// and the guest's mountinfo (a third view) and kills it: no process may
// outlive the VM's run anyway.
func dockerdStartup(bin, containerdDir, runcDir string) string {
	script := strings.Join([]string{
		"export PATH=$PATH:" + containerdDir + ":" + runcDir,
		"mkdir -p /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup",
		bin + " --iptables=false --bridge=none --data-root " + dockerdRoot + " --exec-root /run/docker --debug >/tmp/dockerd.log 2>&1 &",
		"p=$!",
		"i=0",
		`while [ $i -lt 150 ] && kill -0 $p && ! grep -q "API listen on" /tmp/dockerd.log; do sleep 1; i=$((i+1)); done`,
		`grep -v "module=grpc" /tmp/dockerd.log`,
		`sed "s/^/MOUNTINFO /" /proc/self/mountinfo`,
		"kill -9 $p",
		"true",
	}, "\n")
	return "/bin/sh -c '" + script + "'"
}

// kmount is one mount as the kernel probe saw it.
type kmount struct {
	pid, tid                     int
	source, target, fstype, data string
	flags                        uint64
	ret                          int
	returned                     bool
}

// runRecords splits `run --format json` output into decoded events and the
// lines the script printed that are not stapgen records, in order.
func runRecords(t *testing.T, out string) (evs []jsonEvent, raw []string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e jsonEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		if r, ok := e["raw"].(string); ok {
			raw = append(raw, r)
			continue
		}
		evs = append(evs, e)
	}
	return evs, raw
}

// kernelMounts parses the oracle's lines; a return belongs to the last
// mount of its thread that has none yet.
func kernelMounts(t *testing.T, raw []string) []*kmount {
	t.Helper()
	var ms []*kmount
	for _, l := range raw {
		f := strings.Split(l, "\t")
		atoi := func(s string) int {
			n, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("kernel line %q: %v", l, err)
			}
			return n
		}
		switch {
		case f[0] == "KMOUNT" && len(f) == 8:
			fl, err := strconv.ParseUint(f[6], 10, 64)
			if err != nil {
				t.Fatalf("kernel line %q: %v", l, err)
			}
			ms = append(ms, &kmount{pid: atoi(f[1]), tid: atoi(f[2]), source: f[3], target: f[4], fstype: f[5], flags: fl, data: f[7]})
		case f[0] == "KMOUNTRET" && len(f) == 4:
			tid := atoi(f[2])
			for i := len(ms) - 1; i >= 0; i-- {
				if ms[i].tid == tid && !ms[i].returned {
					ms[i].ret, ms[i].returned = atoi(f[3]), true
					break
				}
			}
		}
	}
	return ms
}

// goMount is one decoded call with the return of the same thread after it.
type goMount struct {
	entry, ret                   jsonEvent
	source, target, fstype, data string
	flags                        uint64
}

// goMounts pairs each entry with the next return on its goroutine: a
// goroutine blocked in a slow mount(2) can come back on another thread
// (its P is handed off), so threads do not pair them.
func goMounts(t *testing.T, evs []jsonEvent) []*goMount {
	t.Helper()
	var ms []*goMount
	open := map[any]*goMount{}
	for _, e := range evs {
		if e.str("site") == "entry" {
			m := &goMount{entry: e, flags: uint64(e.num(t, "flags"))}
			m.source, _ = e.text(t, "source")
			m.target, _ = e.text(t, "target")
			m.fstype, _ = e.text(t, "fstype")
			m.data, _ = e.text(t, "data")
			ms = append(ms, m)
			open[e["goid"]] = m
		} else if m := open[e["goid"]]; m != nil {
			m.ret = e
			delete(open, e["goid"])
		}
	}
	return ms
}

// labVMScript is the branch's own stap-vm: the test needs its
// STAPVM_FILES, which a lab installed from an older branch lacks (make lab
// installs this same file, so under CI the two are one).
func labVMScript(t *testing.T) string {
	labStap(t, lab.VMModule) // the lab itself: kernel, chroot, initramfs
	p, err := filepath.Abs(filepath.Join("..", "..", "lab", "stap-vm"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDockerdMountsInVM: Debian's dockerd starts in the VM until its API
// listens; every syscall.Mount / unix.Mount call stapgen decodes in it
// (source, target, fstype, flags, data; the error at its RET) is one mount
// the kernel saw, and back: same strings, flags and process, the error nil
// exactly when the kernel returned 0. The data root the test chose is among
// them, shared as the guest's mountinfo says, and the mounts that fail fail
// as dockerd logs it.
func TestDockerdMountsInVM(t *testing.T) {
	vm := labVMScript(t)
	bin := testenv.Corpus(t, "docker.io", "usr/sbin/dockerd")
	containerd := testenv.Corpus(t, "containerd", "usr/bin/containerd")
	runc := testenv.Corpus(t, "runc", "usr/sbin/runc")
	t.Setenv("STAPVM_FILES", containerd+" "+runc)
	// 512 bytes: overlay options run to 250; nothing is cut on either side.
	src, errs, code := stapgen(t, "gen", "--stap-version", "5.1", "--return", "--strlen", "512", bin,
		"syscall.Mount", "golang.org/x/sys/unix.Mount", "--fields", "source,target,fstype,flags,data,err")
	if code != 0 {
		t.Fatalf("gen: exit %d\n%s", code, errs)
	}
	script := filepath.Join(t.TempDir(), "dockerd.stp")
	if err := os.WriteFile(script, []byte(src+kernelMountOracle), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, errs, code := stapgen(t, "run", "--stap", vm, "--script", script, "--format", "json",
		"-c", dockerdStartup(bin, filepath.Dir(containerd), filepath.Dir(runc)))
	t.Logf("run (compile, boot, dockerd start-up): %s", time.Since(start).Round(time.Second))
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "API listen on") {
		t.Errorf("dockerd did not finish its start-up:\n%s", errs)
	}
	evs, raw := runRecords(t, out)
	ks, gs := kernelMounts(t, raw), goMounts(t, evs)
	if len(ks) < 2 || len(gs) != len(ks) {
		t.Fatalf("kernel saw %d dockerd mounts; stapgen decoded %d calls\n%s\n%s", len(ks), len(gs), out, errs)
	}
	used := make([]bool, len(ks))
	root := false
	for i, g := range gs {
		j := -1
		for n, k := range ks {
			if !used[n] && k.source == g.source && k.target == g.target && k.fstype == g.fstype && k.flags == g.flags && k.data == g.data {
				j = n
				break
			}
		}
		if j < 0 {
			t.Errorf("call %d %s(%q, %q, %q, %#x, %q): the kernel saw no such mount", i, g.entry.str("probe"), g.source, g.target, g.fstype, g.flags, g.data)
			continue
		}
		used[j] = true
		k := ks[j]
		if pid, _ := g.entry["pid"].(float64); int(pid) != k.pid {
			t.Errorf("call %d: traced in pid %v, kernel saw pid %d", i, g.entry["pid"], k.pid)
		}
		if g.ret == nil {
			t.Errorf("call %d: no return decoded", i)
			continue
		}
		if gid, ok := g.entry["goid"].(float64); !ok || gid < 1 || g.ret["goid"] != g.entry["goid"] {
			t.Errorf("call %d: entry on goroutine %v, return on %v", i, g.entry["goid"], g.ret["goid"])
		}
		f := g.ret.field("err")
		v := f["value"]
		isNil := fmt.Sprint(f["type_word"]) == "0x0"
		if !k.returned || isNil != (k.ret == 0) {
			t.Errorf("call %d: err %v, kernel returned %d (returned=%v)", i, f, k.ret, k.returned)
		}
		// A failed mount returns the errno as an error: its text and type
		// decoded from the PIE's runtime type metadata.
		if k.ret < 0 && (fmt.Sprint(v) != syscall.Errno(-k.ret).Error() || f["go_type"] != "syscall.Errno") {
			t.Errorf("call %d: err %v (%v), the kernel returned %s", i, v, f["go_type"], syscall.Errno(-k.ret).Error())
		}
		// ENODEV: the lab kernel has no overlay module loaded.
		if k.ret == -19 && k.fstype == "overlay" && !strings.Contains(errs, "failed to mount overlay: no such device") {
			t.Errorf("call %d: the kernel said ENODEV, dockerd logged no \"no such device\"", i)
		}
		if k.target == dockerdRoot && k.flags&(1<<20) != 0 { // MS_SHARED
			root = true
		}
		t.Logf("mount %d, goroutine %v: %s(%q, %q, %q, %#x, %d-byte data) = err %v; kernel: %d",
			i, g.entry["goid"], g.entry.str("probe"), g.source, g.target, g.fstype, g.flags, len(g.data), v, k.ret)
	}
	if !root {
		t.Errorf("no MS_SHARED mount of %s among the kernel's lines", dockerdRoot)
	}
	shared := false
	for _, l := range strings.Split(errs, "\n") {
		if f := strings.Fields(l); len(f) > 5 && f[0] == "MOUNTINFO" && f[5] == dockerdRoot && strings.Contains(l, " shared:") {
			shared = true
		}
	}
	if !shared {
		t.Errorf("the guest's mountinfo does not show %s shared:\n%s", dockerdRoot, errs)
	}
}
