package command

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// listedLine is one line of `stapgen lines --json`.
type listedLine struct {
	Probe    string `json:"probe"`
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Address  string `json:"address"`
	Vars     []struct {
		Name, Type string
		Location   string `json:"dwarf_location"`
	} `json:"vars"`
}

func linesOf(t *testing.T, args ...string) []listedLine {
	t.Helper()
	out, errs, code := stapgen(t, append([]string{"lines", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("lines %v: exit %d\n%s", args, code, errs)
	}
	var ls []listedLine
	for _, s := range testenv.Lines([]byte(out)) {
		var l listedLine
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("bad JSON %q: %v", s, err)
		}
		ls = append(ls, l)
	}
	return ls
}

// objdumpLines is the set of line numbers of file that objdump's decoded
// line table has at addresses in [lo, hi): where code of those lines is.
func objdumpLines(t *testing.T, bin, file string, lo, hi uint64) map[int]bool {
	t.Helper()
	testenv.NeedTool(t, "objdump")
	out, err := exec.Command("objdump", "--dwarf=decodedline", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^(\S+)\s+(\d+)\s+0x([0-9a-f]+)`)
	got := map[int]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		m := re.FindStringSubmatch(l)
		if m == nil || !strings.HasSuffix(file, "/"+m[1]) && file != m[1] {
			continue
		}
		a, _ := strconv.ParseUint(m[3], 16, 64)
		if a >= lo && a < hi {
			n, _ := strconv.Atoi(m[2])
			got[n] = true
		}
	}
	return got
}

// TestLinesOfCFunction: `lines` on the C fixture's walk lists lines that
// have code inside walk by objdump's line table, text and JSON agree, gen
// takes every listed line as a probe (one statement probe each, typed
// member chains), and a line without code or a variable not in scope is
// refused with exit 5 and a hint naming what is there.
func TestLinesOfCFunction(t *testing.T) {
	bin := testenv.CFixture(t, testenv.CO0)
	ls := linesOf(t, bin, "walk")
	if len(ls) < 3 {
		t.Fatalf("only %d lines: %+v", len(ls), ls)
	}
	fn := showFunc(t, bin, "walk")
	lo, _ := strconv.ParseUint(strings.TrimPrefix(fn.Entry, "0x"), 16, 64)
	hi, _ := strconv.ParseUint(strings.TrimPrefix(fn.End, "0x"), 16, 64)
	code := objdumpLines(t, bin, fn.File, lo, hi)
	for _, l := range ls {
		if !code[l.Line] {
			t.Errorf("line %d listed; objdump has no code of it in walk [%#x,%#x)", l.Line, lo, hi)
		}
		if l.Probe != fmt.Sprintf("walk@%s:%d", l.File, l.Line) || l.File != fn.File {
			t.Errorf("probe %q for %s:%d", l.Probe, l.File, l.Line)
		}
	}
	text, _, _ := stapgen(t, "lines", bin, "walk")
	if n := len(testenv.Lines([]byte(text))); n != len(ls) {
		t.Errorf("text lists %d lines, JSON %d:\n%s", n, len(ls), text)
	}

	// Every listed line is a probe gen takes; a line inside the loop,
	// where n is in scope, takes a typed member chain.
	var specs []string
	loop := ""
	for _, l := range ls {
		specs = append(specs, l.Probe)
		for _, v := range l.Vars {
			if v.Name == "n" && v.Type == "struct node*" && loop == "" && l.Line > fn.Line+1 {
				loop = l.Probe
			}
		}
	}
	src, errs, rc := stapgen(t, append([]string{"gen", bin}, specs...)...)
	if rc != 0 {
		t.Fatalf("gen of every line: exit %d\n%s", rc, errs)
	}
	if n := strings.Count(src, ".statement(\"walk@"); n != len(ls) {
		t.Errorf("%d statement probes for %d lines", n, len(ls))
	}
	if loop == "" {
		t.Fatalf("no line with n in scope: %+v", ls)
	}
	src, errs, rc = stapgen(t, "gen", bin, loop, "--fields", "n->name,n->pt.x,n->next")
	if rc != 0 {
		t.Fatalf("gen %s: exit %d\n%s", loop, rc, errs)
	}
	for _, want := range []string{"__sg_ucstr($n->name,", "$n->pt->x)", `printf(" 0x%x", $n->next)`} {
		if !strings.Contains(src, want) {
			t.Errorf("script lacks %q:\n%s", want, src)
		}
	}

	// A line with no code in walk (a gap, or past its end): the nearest
	// listed lines are named.
	gap := 0
	for n := ls[0].Line; gap == 0; n++ {
		if !code[n] {
			gap = n
		}
	}
	_, errs, rc = stapgen(t, "gen", bin, fmt.Sprintf("walk@cfix.c:%d", gap))
	var near []string
	for i, l := range ls {
		if l.Line < gap && (i == len(ls)-1 || ls[i+1].Line > gap) {
			near = append(near, strconv.Itoa(l.Line))
		}
		if l.Line > gap && (i == 0 || ls[i-1].Line < gap) {
			near = append(near, strconv.Itoa(l.Line))
		}
	}
	if rc != ExitRefused || !strings.Contains(errs, "nearest probe-able lines: "+strings.Join(near, " or ")+" ") {
		t.Errorf("line %d: exit %d\n%s", gap, rc, errs)
	}

	// FILE:LINE without the function: found by its code, typed the same;
	// a line no code has is refused with the lines around it that have.
	src, errs, rc = stapgen(t, "gen", bin, fmt.Sprintf("cfix.c:%d", ls[1].Line))
	if rc != 0 || !strings.Contains(src, fmt.Sprintf(`.statement("walk@%s:%d")`, fn.File, ls[1].Line)) {
		t.Errorf("cfix.c:%d: exit %d\n%s%s", ls[1].Line, rc, errs, src)
	}
	anywhere := objdumpLines(t, bin, fn.File, 0, ^uint64(0))
	if anywhere[gap] {
		t.Fatalf("line %d has code outside walk; the test needs a line with none", gap)
	}
	if _, errs, rc = stapgen(t, "gen", bin, fmt.Sprintf("cfix.c:%d", gap)); rc != ExitRefused || !strings.Contains(errs, "nearest lines with code: ") {
		t.Errorf("cfix.c:%d: exit %d\n%s", gap, rc, errs)
	}

	// A variable not in scope there: the ones that are are named.
	_, errs, rc = stapgen(t, "gen", bin, loop, "--fields", "nosuch")
	if rc != ExitRefused || !strings.Contains(errs, `no variable "nosuch"`) || !strings.Contains(errs, "n, k") {
		t.Errorf("unknown variable: exit %d\n%s", rc, errs)
	}
	// The wrong file for the function.
	_, errs, rc = stapgen(t, "gen", bin, fmt.Sprintf("walk@other.c:%d", ls[0].Line))
	if rc != ExitRefused || !strings.Contains(errs, "it is in "+fn.File) {
		t.Errorf("wrong file: exit %d\n%s", rc, errs)
	}
}

// showFunc is `show --json` of one function.
func showFunc(t *testing.T, bin, name string) jsonFunc {
	t.Helper()
	out, errs, code := stapgen(t, "show", "--json", bin, name)
	if code != 0 {
		t.Fatalf("show %s: exit %d\n%s", name, code, errs)
	}
	var f jsonFunc
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestEveryLineCompiles: one script probing every line `lines` lists,
// with every variable there printed, is compiled by stap 5.1 into a module
// for the lab kernel (-p4): for kernel functions, and for every function
// of the C fixture unoptimised and at -O2 (where small structs live in
// registers and values are known only at entry: those print "!"), and
// kernel functions with copies inlined elsewhere or into themselves, and
// for functions of a kernel module.
func TestEveryLineCompiles(t *testing.T) {
	stap51 := labStap(t, lab.Trixie)
	vmlinux := testenv.Vmlinux(t)
	type tc struct {
		bin   string
		funcs []string
	}
	cases := map[string]tc{"kernel": {vmlinux, []string{"lookup_one_qstr_excl", "do_sys_openat2", "filename_create",
		"tcp_shutdown", "vfs_rmdir", "__set_nameidata"}}} // the last three have inlined copies; the last only those
	// A module function, from the module's debug file.
	testenv.KernelRoot(t)
	cases["module"] = tc{testenv.ModuleDebugFile(t, "drivers/net/macvlan.ko"), []string{"macvlan_start_xmit", "macvlan_broadcast"}}
	for _, v := range []testenv.CVariant{testenv.CO0, testenv.CO2} {
		bin := testenv.CFixture(t, v)
		var fns []string
		out, _, _ := stapgen(t, "list", "--json", bin)
		for _, l := range testenv.Lines([]byte(out)) {
			var f jsonFunc
			json.Unmarshal([]byte(l), &f)
			if strings.HasSuffix(f.File, "cfix.c") {
				fns = append(fns, f.Name)
			}
		}
		cases["cfix-"+string(v)] = tc{bin, fns}
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var specs []string
			for _, f := range c.funcs {
				for _, l := range linesOf(t, c.bin, f) {
					specs = append(specs, l.Probe)
				}
			}
			if len(specs) < 10 {
				t.Fatalf("only %d lines in %v", len(specs), c.funcs)
			}
			src, errs, code := stapgen(t, append([]string{"gen", "--stap-version", "5.1", c.bin}, specs...)...)
			if code != 0 {
				t.Fatalf("gen: exit %d\n%s", code, errs)
			}
			if n := strings.Count(src, ".statement(\""); n != len(specs) {
				t.Errorf("%d statement probes for %d lines", n, len(specs))
			}
			stapAccepts(t, stap51, src, "-r", lab.Release(), "-p4")
			t.Logf("%d lines of %d functions compile", len(specs), len(c.funcs))
		})
	}
}

// TestRunKernelLineInVM: a probe on a line of lookup_one_qstr_excl past
// the d_lookup, printing member chains of the name looked up (its length
// through qstr's anonymous union) and of the parent directory's dentry,
// while the guest makes a directory and one inside it: the names and
// lengths are the guest's.
func TestRunKernelLineInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	vmlinux := testenv.Vmlinux(t)
	var at string
	for _, l := range linesOf(t, vmlinux, "lookup_one_qstr_excl") {
		for _, v := range l.Vars {
			if v.Name == "dentry" && at == "" {
				at = l.Probe // the first line where the looked-up dentry is in scope
			}
		}
	}
	if at == "" {
		t.Fatal("no line of lookup_one_qstr_excl has dentry in scope")
	}
	// --all-processes: each mkdir is a grandchild of the -c process here
	// (the shell below a wrapper), which -c alone does not record; the
	// guest runs nothing else that makes directories.
	out, errs, code := stapgen(t, "run", "--stap", vm, "--format", "json", "--all-processes",
		"-c", "/bin/sh -c 'mkdir /tmp/sg-line && mkdir /tmp/sg-line/inner'",
		vmlinux, at, "--fields", "name->name,name->len,base->d_name.name,flags")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var got []string
	for _, e := range parseEvents(t, out) {
		name, _ := e.text(t, "name.name")
		parent, _ := e.text(t, "base.d_name.name")
		// len is a member of an anonymous union inside struct qstr.
		if n := e.num(t, "name.len"); n != int64(len(name)) {
			t.Errorf("name %q: len %v", name, n)
		}
		if e.str("site") != "line" {
			t.Errorf("site %q", e.str("site"))
		}
		got = append(got, parent+"/"+name)
	}
	// mkdir looks the new name up in its parent: /tmp for the first (whose
	// dentry is named "tmp", or "/" when a tmpfs is mounted there), the
	// directory just made for the second.
	if s := strings.Join(got, "|"); s != "tmp/sg-line|sg-line/inner" && s != "//sg-line|sg-line/inner" {
		t.Errorf("lookups at %s = %q (stderr %s)", at, s, errs)
	}
}
