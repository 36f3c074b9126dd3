package lab

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

func need(t *testing.T, rt Runtime) {
	t.Helper()
	_, err := Stap(rt)
	testenv.Need(t, err == nil, "%v", err)
}

// TestKernelLookupInVM probes lookup_one_qstr_excl on the real Debian
// kernel while the guest creates, renames and removes a directory.
func TestKernelLookupInVM(t *testing.T) {
	need(t, VMModule)
	res, err := Run(context.Background(), Job{Runtime: VMModule,
		Script: `probe kernel.function("lookup_one_qstr_excl") {
	if (execname() == "mkdir" || execname() == "mv" || execname() == "rmdir")
		printf("%s %s\n", execname(), kernel_string_n($name->name, $name->len))
}`,
		Cmd: "/bin/sh -c 'mkdir /tmp/stapgen-lab-d1 && mv /tmp/stapgen-lab-d1 /tmp/stapgen-lab-d2 && rmdir /tmp/stapgen-lab-d2'"})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(res.Lines(), "|")
	// mkdir looks up the new name; mv looks up the source and the target;
	// rmdir the victim: exactly what the guest asked for, in order.
	want := "mkdir stapgen-lab-d1|mv stapgen-lab-d1|mv stapgen-lab-d2|rmdir stapgen-lab-d2"
	if got != want {
		t.Errorf("lookups = %q\nwant     %q\nstderr:\n%s", got, want, res.Stderr)
	}
}

// goFacts computes the offsets a hand-written Go script needs, each from an
// independent source: the goid offset from the binary's DWARF, main.Str's
// RET instructions from objdump.
func goFacts(t *testing.T, bin string) (goid int64, rets []string) {
	t.Helper()
	b, err := target.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ix, err := debuginfo.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	if goid, err = ix.GoidOffset(); err != nil {
		t.Fatal(err)
	}
	return goid, testenv.ObjdumpRets(t, bin, "main.Str")
}

var callRE = regexp.MustCompile(`^CALL main.Str s=(".*")$`)

// programStrs are the strings the fixture says it passed to main.Str.
func programStrs(t *testing.T, stderr []byte) []string {
	var want []string
	for _, l := range strings.Split(string(stderr), "\n") {
		if m := callRE.FindStringSubmatch(strings.TrimRight(l, "\r")); m != nil {
			want = append(want, m[1])
		}
	}
	if len(want) == 0 {
		t.Fatalf("the program printed no CALL lines:\n%s", stderr)
	}
	return want
}

// TestGoInVM traces main.Str with the module runtime: the string argument
// from the ABI registers, the goroutine id from R14, and the result from a
// probe on each RET instruction.
func TestGoInVM(t *testing.T) {
	need(t, VMModule)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	goid, rets := goFacts(t, bin)
	if len(rets) == 0 {
		t.Fatal("no RET in main.Str")
	}
	var pts []string
	for _, r := range rets {
		pts = append(pts, fmt.Sprintf("process(%q).statement(%s)", bin, r))
	}
	// main.Str's prologue is "cmp rsp, [r14+0x10]; jbe morestack": when it
	// will call morestack, the function runs again from its entry after the
	// stack grows, so that first firing is not a call and is skipped.
	// A signal during the uprobe's single-step makes the kernel run the
	// handler again at the same stack pointer: drop that repeat.
	script := fmt.Sprintf(`global esp
probe process(%q).function("main.Str").call {
	guard = user_int64(u_register("r14") + 16)
	if (guard < 0 || u_register("rsp") <= guard) next
	if (esp[tid()] == u_register("rsp")) next
	esp[tid()] = u_register("rsp")
	printf("E %%d %%d %%s\n", user_int64(u_register("r14") + %d), u_register("rbx"), text_str(user_string_n(u_register("rax"), u_register("rbx"))))
}
probe %s {
	delete esp[tid()]
	printf("R %%d %%d\n", user_int64(u_register("r14") + %d), u_register("rax"))
}`, bin, goid, strings.Join(pts, ", "), goid)
	res, err := Run(context.Background(), Job{Runtime: VMModule, Script: script, Cmd: bin, Args: []string{"-g"}})
	if err != nil {
		t.Fatal(err)
	}
	want := programStrs(t, res.Stderr)
	lines := res.Lines()
	if len(lines) != 2*len(want) {
		t.Fatalf("%d records for %d calls:\n%s", len(lines), len(want), res.Output)
	}
	for i, w := range want {
		var g1, n, g2, r int64
		var s string
		if _, err := fmt.Sscanf(lines[2*i], "E %d %d %s", &g1, &n, &s); err != nil && n > 0 {
			t.Fatalf("entry record %q: %v", lines[2*i], err)
		}
		if _, err := fmt.Sscanf(lines[2*i+1], "R %d %d", &g2, &r); err != nil {
			t.Fatalf("return record %q: %v", lines[2*i+1], err)
		}
		// text_str escapes like Go's %q for the bytes used here; compare
		// lengths (the register) and the goroutine pairing exactly.
		wantLen := len(mustUnquote(t, w))
		if n != int64(wantLen) || r != int64(wantLen) {
			t.Errorf("call %d (%s): len=%d ret=%d, want %d", i, w, n, r, wantLen)
		}
		if g1 <= 0 || g1 != g2 {
			t.Errorf("call %d: goid entry %d, return %d", i, g1, g2)
		}
	}
}

func mustUnquote(t *testing.T, q string) string {
	var s string
	if _, err := fmt.Sscanf(q, "%q", &s); err != nil {
		t.Fatalf("unquote %s: %v", q, err)
	}
	return s
}

// TestGoOnHostBPF traces the same program on the host with the BPF runtime.
func TestGoOnHostBPF(t *testing.T) {
	need(t, HostBPF)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	res, err := Run(context.Background(), Job{Runtime: HostBPF, Cmd: bin,
		Script: fmt.Sprintf(`probe process(%q).function("main.Str") { printf("%%ld\n", $s->len) }`, bin)})
	if err != nil {
		t.Fatal(err)
	}
	want := programStrs(t, res.Stderr)
	lines := res.Lines()
	if len(lines) != len(want) {
		t.Fatalf("%d records for %d calls:\n%s", len(lines), len(want), res.Output)
	}
	for i, w := range want {
		if lines[i] != fmt.Sprint(len(mustUnquote(t, w))) {
			t.Errorf("call %d: len %s, want %d", i, lines[i], len(mustUnquote(t, w)))
		}
	}
}

// TestVMCompileErrorPassesThrough: stap's own error reaches the caller.
func TestVMCompileErrorPassesThrough(t *testing.T) {
	need(t, VMModule)
	_, err := Run(context.Background(), Job{Runtime: VMModule, Script: `probe kernel.function("no_such_function_stapgen") { }`})
	if err == nil || !strings.Contains(err.Error(), "no_such_function_stapgen") {
		t.Fatalf("err = %v", err)
	}
}
