package command

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	if ($data_page) try { dat = kernel_string_n($data_page, 128) } catch { }
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
// already is one, then MS_SHARED), before it needs containerd.
const dockerdRoot = "/var/lib/docker"

// dockerdStartup is the guest command. Nothing in the guest answers on the
// containerd socket, so dockerd would wait 60 s for it and then fail; its
// root mounts come first, so the shell waits until the guest's mountinfo
// shows the root shared, prints that line (a third view), and kills the
// daemon. No network, no iptables, no bridge: the guest has none of them.
func dockerdStartup(bin string) string {
	script := strings.Join([]string{
		bin + " --iptables=false --bridge=none --data-root " + dockerdRoot + " --exec-root /run/docker" +
			" --containerd /run/sg-no-containerd.sock --debug &",
		"p=$!",
		"i=0",
		`while [ $i -lt 90 ] && ! grep -q " ` + dockerdRoot + ` .*shared:" /proc/self/mountinfo; do sleep 1; i=$((i+1)); done`,
		"sleep 1",
		`grep " ` + dockerdRoot + ` " /proc/self/mountinfo | sed "s/^/MOUNTINFO /"`,
		"kill -9 $p",
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

// TestDockerdMountsInVM: every syscall.Mount / unix.Mount call stapgen
// decodes in dockerd's start-up (source, target, fstype, flags, data, and
// the error at its RET) is the mount the kernel saw, in the same order and
// process, with the error nil exactly when the kernel returned 0; and the
// data root the test chose is among them, shared as the guest's mountinfo
// says.
func TestDockerdMountsInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.Corpus(t, "docker.io", "usr/sbin/dockerd")
	src, errs, code := stapgen(t, "gen", "--stap-version", "5.1", "--return", bin,
		"syscall.Mount", "golang.org/x/sys/unix.Mount", "--fields", "source,target,fstype,flags,data,err")
	if code != 0 {
		t.Fatalf("gen: exit %d\n%s", code, errs)
	}
	script := filepath.Join(t.TempDir(), "dockerd.stp")
	if err := os.WriteFile(script, []byte(src+kernelMountOracle), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, errs, code := stapgen(t, "run", "--stap", vm, "--script", script, "-c", dockerdStartup(bin), "--format", "json")
	t.Logf("run (compile, boot, dockerd start-up): %s", time.Since(start).Round(time.Second))
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "Starting up") {
		t.Errorf("dockerd did not log its start-up:\n%s", errs)
	}
	evs, raw := runRecords(t, out)
	ks := kernelMounts(t, raw)
	var entries, returns []jsonEvent
	for _, e := range evs {
		if e.str("site") == "entry" {
			entries = append(entries, e)
		} else {
			returns = append(returns, e)
		}
	}
	if len(ks) < 2 || len(entries) != len(ks) || len(returns) != len(ks) {
		t.Fatalf("kernel saw %d dockerd mounts; stapgen decoded %d entries, %d returns\n%s\n%s", len(ks), len(entries), len(returns), out, errs)
	}
	root := false
	for i, k := range ks {
		e, r := entries[i], returns[i]
		got := map[string]string{}
		for _, name := range []string{"source", "target", "fstype", "data"} {
			got[name], _ = e.text(t, name)
		}
		want := map[string]string{"source": k.source, "target": k.target, "fstype": k.fstype, "data": k.data}
		for name := range want {
			if got[name] != want[name] {
				t.Errorf("mount %d (%s): %s = %q, kernel saw %q", i, e.str("probe"), name, got[name], want[name])
			}
		}
		if f := uint64(e.num(t, "flags")); f != k.flags {
			t.Errorf("mount %d: flags = %#x, kernel saw %#x", i, f, k.flags)
		}
		if pid, _ := e["pid"].(float64); int(pid) != k.pid {
			t.Errorf("mount %d: traced in pid %v, kernel saw pid %d", i, e["pid"], k.pid)
		}
		if g, ok := e["goid"].(float64); !ok || g < 1 || r["goid"] != e["goid"] {
			t.Errorf("mount %d: entry on goroutine %v, return on %v", i, e["goid"], r["goid"])
		}
		v, _ := r.field("err")["value"].(map[string]any)
		isNil := v != nil && fmt.Sprint(v["type_word"]) == "0x0"
		if !k.returned || isNil != (k.ret == 0) {
			t.Errorf("mount %d: err %v, kernel returned %d (returned=%v)", i, v, k.ret, k.returned)
		}
		if k.target == dockerdRoot && k.flags&(1<<20) != 0 { // MS_SHARED
			root = true
		}
		t.Logf("mount %d: %s(%q, %q, %q, %#x, %q) = err %v; kernel: %d", i, e.str("probe"), got["source"], got["target"], got["fstype"], k.flags, got["data"], v, k.ret)
	}
	if !root {
		t.Errorf("no MS_SHARED mount of %s among the kernel's lines", dockerdRoot)
	}
	if !strings.Contains(errs, "MOUNTINFO ") || !strings.Contains(errs, "shared:") {
		t.Errorf("the guest's mountinfo does not show %s shared:\n%s", dockerdRoot, errs)
	}
}
