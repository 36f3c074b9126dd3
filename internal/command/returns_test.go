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

// rfixProbes asks for every kind of return value of the returns fixture,
// with parameters printed at the return as their entry values.
const rfixProbes = `probe r_enum entry return m k
probe r_bool entry return b k
probe r_double entry return d k
probe r_float entry return f k
probe r_str entry return s k
probe r_void return k
probe r_ptr return return->id return->label return->next k
probe r_ulong return k
`

// runRfix traces the returns fixture (gcc -O2: values in registers,
// floating-point ones in xmm; -O0: parameters on the stack) and returns each function's return events in
// call order, with what the fixture printed for its calls and returns.
func runRfix(t *testing.T, v testenv.CVariant, probes string, args ...string) (rets, entries map[string][]map[string]any, calls, said_ map[string][]map[string]string) {
	t.Helper()
	bin := testenv.CProgram(t, "rfix", v)
	pf := writeProbeFile(t, probes)
	out, errs, code := stapgen(t, append(append([]string{"run"}, args...), "-c", bin+" 3", "--format", "json", "--probe-file", pf, bin)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	rets, entries = map[string][]map[string]any{}, map[string][]map[string]any{}
	for _, e := range exactEvents(t, out) {
		fn := fmt.Sprint(e["probe"])
		if e["site"] == "return" {
			rets[fn] = append(rets[fn], e)
		} else {
			entries[fn] = append(entries[fn], e)
		}
	}
	calls, said_ = said(t, errs, "CALL"), said(t, errs, "RET")
	for _, fn := range []string{"r_enum", "r_bool", "r_double", "r_float", "r_str", "r_void", "r_ptr", "r_ulong"} {
		if len(calls[fn]) != 3 || len(rets[fn]) != 3 {
			t.Fatalf("%s: %d calls printed, %d return events\n%s\n%s", fn, len(calls[fn]), len(rets[fn]), out, errs)
		}
	}
	return rets, entries, calls, said_
}

// field is one JSON field of an event.
func field(e map[string]any, name string) map[string]any { return jsonEvent(e).field(name) }

func missing(e map[string]any, name string) bool {
	m, _ := field(e, name)["missing"].(bool)
	return m
}

// floatOf is a JSON number field as a float64.
func floatOf(t *testing.T, e map[string]any, name string) float64 {
	n, ok := field(e, name)["value"].(json.Number)
	if !ok {
		t.Fatalf("%s = %v, want a number", name, field(e, name))
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// cPointer reads %p: "0x55d0…" or "(nil)".
func cPointer(t *testing.T, s string) uint64 {
	if s == "(nil)" {
		return 0
	}
	n, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
	if err != nil {
		t.Fatalf("pointer %q", s)
	}
	return n
}

// checkRfix compares every decoded value with what the fixture printed;
// unreadable names the fields the runtime marks missing instead, or that
// were not asked for ("skip").
func checkRfix(t *testing.T, rets, entries map[string][]map[string]any, calls, rs map[string][]map[string]string, unreadable map[string]string) {
	t.Helper()
	check := func(fn string, i int, name, got, want string) {
		t.Helper()
		e := rets[fn][i]
		switch unreadable[fn+" "+name] {
		case "skip":
			return
		case "missing":
			if !missing(e, name) {
				t.Errorf("%s call %d: %s = %v, want it marked missing", fn, i, name, field(e, name))
			}
			return
		}
		if got != want {
			t.Errorf("%s call %d: %s = %q, want %q", fn, i, name, got, want)
		}
	}
	num := func(fn string, i int, name string, bits int) string {
		if unreadable[fn+" "+name] != "" {
			return ""
		}
		f := floatOf(t, rets[fn][i], name)
		if bits == 32 && float64(float32(f)) != f {
			return fmt.Sprintf("%v (not a float)", f)
		}
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	// The fixture prints floats with enough digits to round-trip.
	printed := func(s string, bits int) string {
		f, err := strconv.ParseFloat(s, bits)
		if err != nil {
			t.Fatal(err)
		}
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	for i := 0; i < 3; i++ {
		for fn, c := range calls {
			if k, ok := c[i]["k"]; ok && len(rets[fn]) > i && fn != "r_ulong" {
				check(fn, i, "k", val(rets[fn][i], "k"), k)
			}
		}
		e := rets["r_enum"][i]
		check("r_enum", i, "return", val(e, "return"), rs["r_enum"][i]["name"])
		check("r_enum", i, "return#", fmt.Sprint(field(e, "return")["int"]), rs["r_enum"][i]["value"])
		check("r_enum", i, "m", fmt.Sprint(field(e, "m")["int"]), calls["r_enum"][i]["m"])
		check("r_bool", i, "return", val(rets["r_bool"][i], "return"), rs["r_bool"][i]["value"])
		check("r_bool", i, "b", val(rets["r_bool"][i], "b"), calls["r_bool"][i]["b"])
		check("r_double", i, "return", num("r_double", i, "return", 64), printed(rs["r_double"][i]["value"], 64))
		check("r_double", i, "d", num("r_double", i, "d", 64), printed(calls["r_double"][i]["d"], 64))
		check("r_float", i, "return", num("r_float", i, "return", 32), printed(rs["r_float"][i]["value"], 32))
		check("r_float", i, "f", num("r_float", i, "f", 32), printed(calls["r_float"][i]["f"], 32))
		check("r_str", i, "return", val(rets["r_str"][i], "return"), rs["r_str"][i]["value"])
		check("r_str", i, "s", val(rets["r_str"][i], "s"), calls["r_str"][i]["s"])
		if f := field(rets["r_void"][i], "return"); f != nil && f["value"] != nil {
			t.Errorf("r_void call %d has a return field %v", i, f)
		}
		p := rets["r_ptr"][i]
		check("r_ptr", i, "return.id", val(p, "return.id"), rs["r_ptr"][i]["id"])
		check("r_ptr", i, "return.label", val(p, "return.label"), rs["r_ptr"][i]["label"])
		check("r_ptr", i, "return.next", fmt.Sprint(cPointerField(t, p, "return.next")), fmt.Sprint(cPointer(t, rs["r_ptr"][i]["next"])))
		check("r_ulong", i, "return", val(rets["r_ulong"][i], "return"), rs["r_ulong"][i]["value"])
		check("r_ulong", i, "k", val(rets["r_ulong"][i], "k"), calls["r_ulong"][i]["k"])
	}
	// The same kinds as parameters at the entry.
	for fn, name := range map[string]string{"r_enum": "m", "r_bool": "b", "r_double": "d", "r_float": "f", "r_str": "s"} {
		if len(entries[fn]) != 3 {
			t.Fatalf("%s: %d entry events", fn, len(entries[fn]))
		}
		for i, e := range entries[fn] {
			if unreadable[fn+" entry "+name] == "skip" {
				continue
			}
			if unreadable[fn+" entry "+name] == "missing" {
				if !missing(e, name) {
					t.Errorf("%s entry %d: %s = %v, want it marked missing", fn, i, name, field(e, name))
				}
				continue
			}
			got, want := val(e, name), calls[fn][i][name]
			switch fn {
			case "r_enum":
				got = fmt.Sprint(field(e, name)["int"])
				if en := val(e, name); en != map[string]string{"1": "CALM", "7": "ANGRY", "42": "SLEEPY"}[want] {
					t.Errorf("r_enum entry %d: m named %q, want the name of %s", i, en, want)
				}
			case "r_double":
				got, want = strconv.FormatFloat(floatOf(t, e, name), 'g', -1, 64), printed(want, 64)
			case "r_float":
				got, want = strconv.FormatFloat(floatOf(t, e, name), 'g', -1, 32), printed(want, 32)
			}
			if got != want {
				t.Errorf("%s entry %d: %s = %q, want %q", fn, i, name, got, want)
			}
		}
	}
}

func cPointerField(t *testing.T, e map[string]any, name string) uint64 {
	s, _ := field(e, name)["value"].(string)
	return cPointer(t, s)
}

// TestCReturnsInVM: the kernel-module runtime in the lab VM reads every
// kind of return value, and parameters at the return, as the fixture
// printed them: enums by name, bool, double and float (from xmm0), C
// strings, void (no field), pointers followed to members, unsigned long.
func TestCReturnsInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	for _, v := range []testenv.CVariant{testenv.CO2, testenv.CO0} {
		t.Run(string(v), func(t *testing.T) {
			rets, entries, calls, rs := runRfix(t, v, rfixProbes, "--stap", vm)
			checkRfix(t, rets, entries, calls, rs, nil)
		})
	}
}

// TestCReturnsOnHostBPF: the same under stap 4.8's BPF runtime, which
// reads all but floating-point values and strings of entry values at a
// return: those are marked missing, the rest equal (enums in registers
// too, read as the register's low half: stap's own read of them does not
// load).
func TestCReturnsOnHostBPF(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	// A C return handler holds a string and nothing more under stap 4.8's
	// BPF back end; the values after it are printed by handlers of their
	// own (bpfReturnSplit), which this run compiles and checks.
	probes := rfixProbes
	for _, v := range []testenv.CVariant{testenv.CO2, testenv.CO0} {
		t.Run(string(v), func(t *testing.T) {
			rets, entries, calls, rs := runRfix(t, v, probes, "--stap", host, "--runtime", "bpf")
			unreadable := map[string]string{
				"r_double entry d": "missing", "r_float entry f": "missing",
				"r_double return": "missing", "r_double d": "missing", "r_float return": "missing", "r_float f": "missing",
				"r_str s": "missing",
			}
			checkRfix(t, rets, entries, calls, rs, unreadable)
		})
	}
}

var lsInodeRE = regexp.MustCompile(`(?m)^\s*(\d+) /tmp/(sg-\w+)\s*$`)

// TestKernelReturnInVM: the tutorial's $return->d_inode->i_ino on
// lookup_one_qstr_excl, with the name looked up (a parameter) printed at
// the return. The inode numbers are what ls -i printed in the guest; a
// lookup of a name that does not exist yet (the target of mv, mkdir's
// new directory) returns a negative dentry, whose inode cannot be read.
func TestKernelReturnInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	vmlinux := testenv.Vmlinux(t)
	// --all-processes: the lookups are made by the -c shell's children,
	// and the names tell this test's lookups from the guest's own.
	out, errs, code := stapgen(t, "run", "--stap", vm, "--format", "json", "--entry=false", "--return", "--all-processes",
		"-c", "/bin/sh -c 'touch /tmp/sg-a && ls -i /tmp/sg-a && mv /tmp/sg-a /tmp/sg-b && ls -i /tmp/sg-b && mkdir /tmp/sg-d && ls -id /tmp/sg-d && rm /tmp/sg-b && rmdir /tmp/sg-d'",
		vmlinux, "lookup_one_qstr_excl", "--fields", "return->d_inode->i_ino", "--fields", "name->name")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	ino := map[string]string{}
	for _, m := range lsInodeRE.FindAllStringSubmatch(errs, -1) {
		ino[m[2]] = m[1]
	}
	if len(ino) != 3 || ino["sg-a"] != ino["sg-b"] {
		t.Fatalf("ls -i printed %v, want sg-a, sg-b (the same file) and sg-d\n%s", ino, errs)
	}
	// mv looks up sg-a (there) and sg-b (not yet), mkdir sg-d (not yet),
	// rm sg-b and rmdir sg-d (there).
	want := []string{"sg-a=" + ino["sg-a"], "sg-b=!", "sg-d=!", "sg-b=" + ino["sg-b"], "sg-d=" + ino["sg-d"]}
	var got []string
	for _, e := range exactEvents(t, out) {
		if e["site"] != "return" {
			t.Errorf("an %v record with --entry=false", e["site"])
			continue
		}
		n := val(e, "name.name")
		if !strings.HasPrefix(n, "sg-") {
			continue // the guest's own lookups
		}
		i := val(e, "return.d_inode.i_ino")
		if missing(e, "return.d_inode.i_ino") {
			i = "!"
		}
		got = append(got, n+"="+i)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("lookups at return: %v, want %v\n%s", got, want, out)
	}
}

var stapReturnRE = regexp.MustCompile(`\.function\("(r_\w+)@[^"]*"\)\.return(?: \$return:([^$]*?))?(?: \$|$)`)

// TestShowReturnTypes: show prints each function's return type as stap -L
// lists $return on its .return probe (void: stap lists none), in text and
// JSON.
func TestShowReturnTypes(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.CProgram(t, "rfix", testenv.CO2)
	b, err := exec.Command(host, "-L", fmt.Sprintf("process(%q).function(\"r_*\").return", bin)).Output()
	if err != nil {
		t.Fatalf("stap -L: %v", err)
	}
	ms := stapReturnRE.FindAllStringSubmatch(string(b), -1)
	if len(ms) != 8 {
		t.Fatalf("stap -L listed %d functions:\n%s", len(ms), b)
	}
	for _, m := range ms {
		want := strings.TrimSpace(m[2])
		if want == "" {
			want = "void"
		}
		out, errs, code := stapgen(t, "show", "--json", bin, m[1])
		var j struct{ Return string }
		if code != 0 || json.Unmarshal([]byte(out), &j) != nil || j.Return != want {
			t.Errorf("show --json %s: return %q, stap says %q (exit %d %s)", m[1], j.Return, want, code, errs)
		}
		out, _, _ = stapgen(t, "show", bin, m[1])
		if !regexp.MustCompile(`(?m)^return\s+` + regexp.QuoteMeta(want) + `$`).MatchString(out) {
			t.Errorf("show %s: no line \"return %s\":\n%s", m[1], want, out)
		}
	}
}

// TestReturnRefusedFields: fields that cannot be read where they are asked
// for end gen with the refusal's exit code and the reason, not a script
// that silently leaves them out.
func TestReturnRefusedFields(t *testing.T) {
	bin := testenv.CProgram(t, "rfix", testenv.CO2)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"r_void", "--return", "--fields", "return"}, "returns void"},
		{[]string{"r_ptr", "--fields", "return->id"}, "add --return"},
		{[]string{"r_ptr", "--return", "--fields", "return->nope"}, `no member "nope"`},
	} {
		_, errs, code := stapgen(t, append([]string{"gen", bin}, tc.args...)...)
		if code != 5 || !strings.Contains(errs, tc.want) {
			t.Errorf("gen %v: exit %d, %q; want 5 and %q", tc.args, code, errs, tc.want)
		}
	}
}
