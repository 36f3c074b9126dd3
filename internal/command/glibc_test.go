package command

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestShowGlibcAlias: show names glibc's malloc and open by the functions
// their DWARF describes, with stap -L's parameters and types (the issue
// quotes `__libc_malloc $bytes:size_t` and `__libc_open64 $file $oflag`).
func TestShowGlibcAlias(t *testing.T) {
	libc := testenv.Libc(t)
	cases := []struct{ name, dwarf, params string }{
		{"malloc", "__libc_malloc", `(?m)^  bytes\s+size_t\s`},
		{"open", "__libc_open64", `(?m)^  file\s+char const\*\s+reg rdi\n  oflag\s+int\s`},
	}
	for _, c := range cases {
		out, errs, code := stapgen(t, "show", libc, c.name)
		if code != 0 {
			t.Fatalf("show %s: exit %d: %s", c.name, code, errs)
		}
		if !strings.HasPrefix(out, "function  "+c.dwarf+"\nsymbol    "+c.name+" ") || !regexp.MustCompile(c.params).MatchString(out) {
			t.Errorf("show %s:\n%s", c.name, out)
		}
	}
	// gen reads the parameter by the DWARF's name and probes that name.
	out, errs, code := stapgen(t, "gen", libc, "malloc", "--fields", "bytes")
	if code != 0 || !strings.Contains(out, `.function("__libc_malloc")`) || !strings.Contains(out, "$bytes") {
		t.Errorf("gen malloc --fields bytes: exit %d\n%s%s", code, errs, out)
	}
}

var (
	mallocPIDRE  = regexp.MustCompile(`(?m)^PID ([0-9]+)$`)
	mallocSizeRE = regexp.MustCompile(`(?m)^MALLOC ([0-9]+)$`)
)

// checkMallocs compares a run's malloc events with what mallocfix printed:
// every record is the program's own (a run with -c keeps the library's
// records of target() alone), and the sizes it printed appear in order
// among the traced ones (stdio allocates too).
func checkMallocs(t *testing.T, out, printed string) {
	t.Helper()
	pm := mallocPIDRE.FindStringSubmatch(printed)
	if pm == nil {
		t.Fatalf("the program printed no PID line:\n%s", printed)
	}
	var want []int64
	for _, m := range mallocSizeRE.FindAllStringSubmatch(printed, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		want = append(want, n)
	}
	evs := parseEvents(t, out)
	if len(evs) == 0 || len(want) == 0 {
		t.Fatalf("%d events, %d printed sizes\n%s\n%s", len(evs), len(want), out, printed)
	}
	next := 0
	for _, e := range evs {
		if p := strconv.FormatFloat(e["pid"].(float64), 'f', -1, 64); p != pm[1] {
			t.Errorf("event from pid %s, the program is %s: %v", p, pm[1], e)
		}
		if e.str("probe") != "__libc_malloc" {
			t.Errorf("probe %q", e.str("probe"))
		}
		if next < len(want) && e.num(t, "bytes") == want[next] {
			next++
		}
	}
	if next != len(want) {
		t.Errorf("found %d of the %d sizes the program printed (%v) in order among %d events\n%s", next, len(want), want, len(evs), out)
	}
}

// TestRunGlibcMallocOnHostBPF: the system's glibc with libc6-dbg, traced by
// its alias under the BPF runtime with -c.
func TestRunGlibcMallocOnHostBPF(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	libc := testenv.Libc(t)
	bin := testenv.MallocFixture(t, "")
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin+" 12", "--format", "json", libc, "malloc")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	checkMallocs(t, out, errs)
}

// TestRunGlibcMallocInVM: the same glibc (a copy at a fixture path, which
// the lab's trixie chroot and the guest see as the host does), in the VM.
// Every record is the program's: target() is its pid (run's shell wrapper
// and the lab's both exec a simple command).
func TestRunGlibcMallocInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	dir := testenv.LibcCopy(t)
	bin := testenv.MallocFixture(t, dir)
	t.Setenv("STAPVM_FILES", bin)
	out, errs, code := stapgen(t, "run", "--stap", vm, "-c", bin+" 12", "--format", "json", dir+"/libc.so.6", "malloc")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	checkMallocs(t, out, errs)
}
