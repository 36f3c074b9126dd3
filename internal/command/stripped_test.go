package command

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// Stripped Go binaries as distributions ship them: no DWARF, no symbol
// table. stap finds no function in them by itself; stapgen's generated
// debug file names every entry, body and RET.

// sampleFuncs picks up to n function names of bin spread over its list,
// methods among them, as `stapgen list` gives them.
func sampleFuncs(t *testing.T, bin string, n int, patterns ...string) []string {
	out, errs, code := stapgen(t, append([]string{"list", bin}, patterns...)...)
	if code != 0 {
		t.Fatalf("list: exit %d\n%s", code, errs)
	}
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		// Generic instantiations' names hold blanks, which the columns
		// cannot tell from the separator: they are left out.
		if f := strings.Fields(l); len(f) > 0 && !strings.Contains(f[0], "[") {
			names = append(names, f[0])
		}
	}
	if len(names) <= n {
		return names
	}
	var pick []string
	for i := 0; i < n; i++ {
		pick = append(pick, names[i*len(names)/n])
	}
	return pick
}

// stapAccepts runs stap on script with the environment its header names.
func stapAccepts(t *testing.T, stap string, script string, args ...string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "s.stp")
	os.WriteFile(f, []byte(script), 0o644)
	cmd := exec.Command(stap, append(args, f)...)
	for _, l := range strings.Split(script, "\n") {
		if env, ok := strings.CutPrefix(l, "# stapgen-stap-env: [\""); ok {
			cmd.Env = append(os.Environ(), strings.TrimSuffix(env, "\"]"))
		}
	}
	cmd.Dir = filepath.Dir(f)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(stap), args, err, out)
	}
}

// TestStrippedScriptsPassStap: entry and return scripts for sampled
// functions (methods included) of Debian's runc and containerd and of a
// stripped fixture are accepted by stap 5.1 (-p4, a module for the lab
// kernel) and by the host's stap 4.8 (-p2), and their BPF entry scripts by
// both (-p2).
func TestStrippedScriptsPassStap(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	stap51 := labStap(t, lab.Trixie)
	bins := map[string]string{
		"runc":       testenv.Corpus(t, "runc", "usr/sbin/runc"),
		"containerd": testenv.Corpus(t, "containerd", "usr/bin/containerd"),
		"fixture":    testenv.GoFixture(t, testenv.Strip(testenv.GoPIE)),
	}
	for name, bin := range bins {
		t.Run(name, func(t *testing.T) {
			fns := append(sampleFuncs(t, bin, 12, "*"), sampleFuncs(t, bin, 8, "*.(**).*")...)
			src, errs, code := stapgen(t, append([]string{"gen", "--stap-version", "5.1", "--return", bin}, fns...)...)
			if code != 0 {
				t.Fatalf("gen %v: exit %d\n%s", fns, code, errs)
			}
			if strings.Contains(src, ".statement(") || strings.Contains(src, "-g") && strings.Contains(src, "stapgen-stap-args: [\"-g\"") {
				t.Errorf("a stripped binary's script uses address probes or guru mode:\n%s", src)
			}
			stapAccepts(t, stap51, src, "-r", lab.Release(), "-p4")
			stapAccepts(t, host, src, "-p2")
			// The BPF runtime places the same entry points (its Go returns
			// are refused: stapgen places no BPF probe at a RET).
			bpf, errs, code := stapgen(t, append([]string{"gen", "--runtime", "bpf", bin}, fns...)...)
			if code != 0 {
				t.Fatalf("gen --runtime bpf: exit %d\n%s", code, errs)
			}
			stapAccepts(t, host, bpf, "-p2", "--runtime=bpf")
			stapAccepts(t, stap51, bpf, "-r", lab.Release(), "-p2", "--runtime=bpf")
		})
	}
}

// TestStrippedGoInVM: the stripped fixture traced for real, its types from
// its own source (--source): one entry per call and one return per return
// the program printed, on the same goroutine, with the string and the
// stack-passed arguments and the results the program printed.
func TestStrippedGoInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	// Built as Debian builds its daemons (PIE, externally linked, then
	// stripped), by Debian's Go 1.19, trixie's Go (1.24), the host's and
	// the newest release.
	goCmds := map[string]string{"host": "go", "go1.19": testenv.Go119(t)}
	for _, v := range []string{"go1.24.0", "go1.27.3"} {
		goCmds[v] = testenv.GoToolchain(t, v)
	}
	for name, goCmd := range goCmds {
		t.Run(name, func(t *testing.T) {
			strippedGoInVM(t, vm, testenv.GoFixtureWith(t, goCmd, testenv.Strip(testenv.GoPIEExt)))
		})
	}
}

func strippedGoInVM(t *testing.T, vm, bin string) {
	out, errs, code := stapgen(t, "run", "--stap", vm, "--stap-version", "5.1", "-c", bin, "--format", "json", "--return",
		"--source", filepath.Dir(testenv.GoSource("main.go")), bin, "main.Str", "main.Many")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	byKey := map[string][]map[string]any{}
	for _, e := range exactEvents(t, out) {
		k := fmt.Sprint(e["probe"], "/", e["site"])
		byKey[k] = append(byKey[k], e)
	}
	calls, rets := said(t, errs, "CALL"), said(t, errs, "RET")
	for _, fn := range []string{"main.Str", "main.Many"} {
		ents, rs := byKey[fn+"/entry"], byKey[fn+"/return"]
		if len(ents) != len(calls[fn]) || len(rs) != len(rets[fn]) || len(calls[fn]) == 0 {
			t.Fatalf("%s: %d entries for %d calls, %d returns for %d\n%s", fn, len(ents), len(calls[fn]), len(rs), len(rets[fn]), out)
		}
		for i := range ents {
			if ents[i]["goid"] != rs[i]["goid"] || fmt.Sprint(ents[i]["goid"]) == "-1" {
				t.Errorf("%s call %d: entry on goroutine %v, return on %v", fn, i, ents[i]["goid"], rs[i]["goid"])
			}
			if got, want := val(rs[i], "~r0"), rets[fn][i]["~r0"]; got != want {
				t.Errorf("%s return %d: ~r0 = %s, want %s", fn, i, got, want)
			}
		}
	}
	for i, c := range calls["main.Str"] {
		if got, _ := jsonEvent(byKey["main.Str/entry"][i]).text(t, "s"); len(c["s"]) <= 128 && got != c["s"] {
			t.Errorf("main.Str call %d: s = %q, want %q", i, got, c["s"])
		}
	}
	many := byKey["main.Many/entry"][0]
	for _, k := range []string{"a", "j"} {
		if got := val(many, k); got != calls["main.Many"][0][k] {
			t.Errorf("main.Many %s = %s, want %s", k, got, calls["main.Many"][0][k])
		}
	}
	if got, _ := jsonEvent(many).text(t, "s"); got != calls["main.Many"][0]["s"] {
		t.Errorf("main.Many s (on the stack) = %q, want %q", got, calls["main.Many"][0]["s"])
	}
}

// TestStrippedTypes: Debian's runc and dockerd (Go 1.19, no DWARF) get
// their types from the Go 1.19 source and Debian's golang.org/x/sys, as
// DWARF of the same source would give them (the function table's frame
// size agrees, or show would refuse); where no source exists the refusal
// says what to pass.
func TestStrippedTypes(t *testing.T) {
	runc := testenv.Corpus(t, "runc", "usr/sbin/runc")
	dockerd := testenv.Corpus(t, "docker.io", "usr/sbin/dockerd")
	for _, tc := range []struct{ bin, fn string }{{runc, "golang.org/x/sys/unix.Mount"}, {dockerd, "syscall.Mount"}} {
		out, errs, code := stapgen(t, "show", "--json", tc.bin, tc.fn)
		if code != 0 {
			t.Fatalf("show %s: exit %d\n%s", tc.fn, code, errs)
		}
		// syscall.Mount(source string, target string, fstype string, flags uintptr, data string) (err error)
		for _, want := range []string{`"name": "source"`, `"name": "fstype"`, `"go_type": "uintptr"`, `"name": "err"`, `"go_type": "error"`, `"abi": "r10,r11"`, `"types_from"`} {
			if !strings.Contains(out, want) {
				t.Errorf("show %s lacks %s:\n%s", tc.fn, want, out)
			}
		}
	}
	_, errs, code := stapgen(t, "gen", runc, "github.com/opencontainers/runc/libcontainer.(*linuxContainer).Run", "--fields", "process")
	if code != ExitRefused || !strings.Contains(errs, "--source") || !strings.Contains(errs, "--signature") {
		t.Errorf("no source: exit %d\n%s", code, errs)
	}
}
