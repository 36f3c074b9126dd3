package examples_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

var mountRE = regexp.MustCompile(`MOUNT source="([^"]*)" target="([^"]*)" fstype="([^"]*)" flags=(\d+) data="([^"]*)"`)

// TestDemoDefaultFields: what make demo runs, with default fields, on both
// runtimes (the VM's kernel runtime, the host's BPF runtime): exactly one
// record per syscall.Mount call the daemon made, each with the arguments
// it printed.
func TestDemoDefaultFields(t *testing.T) {
	testenv.Long(t, "runs the demo on the lab")
	dir := workDir(t, "mountd")
	bin := filepath.Join(dir, "mountd")
	build(t, "mountd", "go", "build", "-o", bin, ".")
	for _, rt := range []struct {
		name string
		lab  lab.Runtime
		args []string
	}{
		{"kernel", lab.VMModule, nil},
		{"bpf", lab.HostBPF, []string{"--runtime", "bpf"}},
	} {
		t.Run(rt.name, func(t *testing.T) {
			stap, err := lab.Stap(rt.lab)
			testenv.Need(t, err == nil, "%v", err)
			args := append([]string{"run", "--stap", stap, "-c", bin + " -n 10 -every 5ms", "--format", "json"}, rt.args...)
			cmd := exec.Command(stapgenBin, append(args, bin, "syscall.Mount")...)
			cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir())
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Run(); err != nil {
				t.Fatalf("stapgen: %v\n%s", err, errb.String())
			}
			want := map[string]string{}
			for _, m := range mountRE.FindAllStringSubmatch(errb.String(), -1) {
				want[m[2]] = strings.Join(m[1:], " ")
			}
			got := map[string]int{}
			dec := json.NewDecoder(&out)
			for dec.More() {
				var e struct {
					Probe  string
					Fields map[string]struct{ Value any }
				}
				if err := dec.Decode(&e); err != nil {
					t.Fatal(err)
				}
				if e.Probe != "syscall.Mount" {
					continue
				}
				f := func(k string) string { return fmt.Sprint(e.Fields[k].Value) }
				rec := strings.Join([]string{f("source"), f("target"), f("fstype"), f("flags"), f("data")}, " ")
				if want[f("target")] != rec {
					t.Errorf("record %q; the daemon passed %q", rec, want[f("target")])
				}
				got[f("target")]++
			}
			if len(want) != 10 || len(got) != len(want) {
				t.Errorf("%d targets traced, the daemon mounted %d", len(got), len(want))
			}
			for k, n := range got {
				if n != 1 {
					t.Errorf("%s: %d records for one call", k, n)
				}
			}
		})
	}
}
