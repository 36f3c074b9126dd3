package lab

import (
	"context"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

func need(t *testing.T, rt Runtime) {
	t.Helper()
	testenv.Long(t, "runs stap on the lab")
	if rt == VMModule {
		testenv.InVM(t)
	}
	_, err := Stap(rt)
	testenv.Need(t, err == nil, "%v", err)
}

// TestKernelLookupInVM probes lookup_one_qstr_excl on the real Debian
// kernel while the guest creates, renames and removes a directory.
func TestKernelLookupInVM(t *testing.T) {
	need(t, VMModule)
	res, err := Run(context.Background(), Job{Runtime: VMModule, Stap: sourceStapVM(),
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

var (
	callRE = regexp.MustCompile(`^CALL main.Str s=(".*")$`)
	retRE  = regexp.MustCompile(`^RET main.Str ~r0=(-?[0-9]+)$`)
)

// strCall is one main.Str call as the fixture itself printed it.
type strCall struct {
	s   string // the argument, unquoted
	ret int64  // the result
}

// programStrs are the main.Str calls the fixture says it made, in order:
// the ground truth the traced records are checked against.
func programStrs(t *testing.T, printed []byte) []strCall {
	t.Helper()
	var calls []strCall
	for _, l := range strings.Split(string(printed), "\n") {
		l = strings.TrimRight(l, "\r")
		if m := callRE.FindStringSubmatch(l); m != nil {
			s, err := strconv.Unquote(m[1])
			if err != nil {
				t.Fatalf("fixture line %q: %v", l, err)
			}
			calls = append(calls, strCall{s: s, ret: -1})
		} else if m := retRE.FindStringSubmatch(l); m != nil && len(calls) > 0 {
			calls[len(calls)-1].ret, _ = strconv.ParseInt(m[1], 10, 64)
		}
	}
	if len(calls) == 0 {
		t.Fatalf("the program printed no CALL lines:\n%s", printed)
	}
	return calls
}

// TestGoInVM traces main.Str with the module runtime: the string argument
// from the ABI registers (RAX pointer, RBX length), the goroutine id from
// R14, and the result from a probe on each RET instruction.
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
	// The argument is printed byte by byte in hex: it holds NULs and
	// newlines, which no string function carries through.
	script := fmt.Sprintf(`global esp
probe process(%q).function("main.Str").call {
	guard = user_int64(u_register("r14") + 16)
	if (guard < 0 || u_register("rsp") <= guard) next
	if (esp[tid()] == u_register("rsp")) next
	esp[tid()] = u_register("rsp")
	p = u_register("rax"); n = u_register("rbx")
	printf("E %%d %%d ", user_int64(u_register("r14") + %d), n)
	for (i = 0; i < n; i++) printf("%%02x", user_uint8(p + i))
	printf("\n")
}
probe %s {
	delete esp[tid()]
	printf("R %%d %%d\n", user_int64(u_register("r14") + %d), u_register("rax"))
}`, bin, goid, strings.Join(pts, ", "), goid)
	res, err := Run(context.Background(), Job{Runtime: VMModule, Stap: sourceStapVM(), Script: script, Cmd: bin,
		Args: []string{"-g", "-DMAXACTION=100000"}})
	if err != nil {
		t.Fatal(err)
	}
	want := programStrs(t, res.Stdout)
	lines := res.Lines()
	if len(lines) != 2*len(want) {
		t.Fatalf("%d records for %d calls:\n%s", len(lines), len(want), res.Output)
	}
	for i, w := range want {
		var g1, n, g2, r int64
		var hexs string
		f := strings.Fields(lines[2*i])
		if len(f) == 3 {
			f = append(f, "") // the empty string
		}
		if len(f) != 4 || f[0] != "E" {
			t.Fatalf("entry record %q", lines[2*i])
		}
		g1, _ = strconv.ParseInt(f[1], 10, 64)
		n, _ = strconv.ParseInt(f[2], 10, 64)
		hexs = f[3]
		if _, err := fmt.Sscanf(lines[2*i+1], "R %d %d", &g2, &r); err != nil {
			t.Fatalf("return record %q: %v", lines[2*i+1], err)
		}
		got, err := hex.DecodeString(hexs)
		if err != nil {
			t.Fatalf("entry record %q: %v", lines[2*i], err)
		}
		if string(got) != w.s || n != int64(len(w.s)) {
			t.Errorf("call %d: traced s=%q (len %d), program printed %q", i, got, n, w.s)
		}
		if r != w.ret {
			t.Errorf("call %d (%q): traced ~r0=%d, program printed %d", i, w.s, r, w.ret)
		}
		if g1 <= 0 || g1 != g2 {
			t.Errorf("call %d: goid entry %d, return %d", i, g1, g2)
		}
	}
}

// bpfStrMax is how many bytes of a string this test reads with the BPF
// runtime: reads longer than 55 bytes came back with a stray byte on this
// machine (stap 4.8), and the runtime's strings stop at 64 anyway.
const bpfStrMax = 48

// TestGoOnHostBPF traces the same program on the host with the BPF runtime:
// the string argument and its length, as DWARF locates them ($s).
func TestGoOnHostBPF(t *testing.T) {
	need(t, HostBPF)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	// An empty Go string has a nil pointer: reading it is a fault that ends
	// the whole BPF run, so it is not read.
	res, err := Run(context.Background(), Job{Runtime: HostBPF, Cmd: bin,
		Script: fmt.Sprintf(`probe process(%q).function("main.Str") {
	n = $s->len
	if (n > %d) n = %d
	if (n > 0) printf("%%d|%%s|\n", $s->len, kernel_string_n($s->str, n + 1))
	else printf("%%d||\n", $s->len)
}`, bin, bpfStrMax, bpfStrMax)})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range programStrs(t, res.Stdout) {
		s := c.s
		if len(s) > bpfStrMax {
			s = s[:bpfStrMax]
		}
		if i := strings.IndexByte(s, 0); i >= 0 {
			s = s[:i] // a C string read stops at NUL
		}
		want = append(want, fmt.Sprintf("%d|%s|\n", len(c.s), s))
	}
	// stapbpf reads its per-CPU buffers in turn, so calls that ran on
	// different CPUs can come out of order: every record once, in any
	// order. Records hold newlines, so each is cut out whole, longest first.
	got := string(res.Output)
	sorted := slices.Clone(want)
	slices.SortFunc(sorted, func(a, b string) int { return len(b) - len(a) })
	rest := got
	for _, w := range sorted {
		if i := strings.Index(rest, w); i >= 0 {
			rest = rest[:i] + rest[i+len(w):]
		} else {
			rest += "\x00missing"
		}
	}
	if rest != "" {
		t.Errorf("records:\n%s\nwant, in any order (from the program's own output):\n%s", got, strings.Join(want, ""))
	}
}

// TestCompileErrorPassesThroughInVM: stap's own error reaches the caller.
func TestCompileErrorPassesThroughInVM(t *testing.T) {
	need(t, VMModule)
	_, err := Run(context.Background(), Job{Runtime: VMModule, Stap: sourceStapVM(), Script: `probe kernel.function("no_such_function_stapgen") { }`})
	if err == nil || !strings.Contains(err.Error(), "no_such_function_stapgen") {
		t.Fatalf("err = %v", err)
	}
}
