package debuginfo

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// stapLines groups stap -L statement lines by function: line number →
// the variables stap lists there.
func stapLines(t *testing.T, tree, probe string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, s := range stapList(t, tree, probe) {
		if out[s.Name] == nil {
			out[s.Name] = map[string]string{}
		}
		out[s.Name][s.Line] = varsString(s.Vars)
	}
	return out
}

// ourLines is Lines in the same shape.
func ourLines(t *testing.T, ix *Index, f *Function) map[string]string {
	t.Helper()
	ls, err := ix.Lines(f)
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	out := map[string]string{}
	for _, l := range ls {
		var vs []stapVar
		for _, v := range l.Vars {
			vs = append(vs, stapVar{v.Name, v.Type.Name})
		}
		if _, dup := out[fmt.Sprint(l.Line)]; dup {
			t.Errorf("%s: line %d listed twice", f.Name, l.Line)
		}
		out[fmt.Sprint(l.Line)] = varsString(vs)
	}
	return out
}

// compareLines reports every line one side lists and the other does not,
// and every line whose variables differ; it returns how many agreed.
func compareLines(t *testing.T, name string, got, want map[string]string) int {
	t.Helper()
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	agreed := 0
	for _, k := range keys {
		g, gok := got[k]
		w, wok := want[k]
		switch {
		case !gok:
			t.Errorf("%s:%s: stap lists it (%s), we do not", name, k, w)
		case !wok:
			t.Errorf("%s:%s: we list it (%s), stap does not", name, k, g)
		case g != w:
			t.Errorf("%s:%s:\n got %s\nstap %s", name, k, g, w)
		default:
			agreed++
		}
	}
	return agreed
}

// TestVmlinuxLinesAgainstStap: the probe-able lines of kernel functions
// and the variables at each equal what stap -L lists for
// kernel.statement("F@FILE:*").
func TestVmlinuxLinesAgainstStap(t *testing.T) {
	vm := testenv.Vmlinux(t)
	testenv.NeedStap(t)
	tree := buildTree(t, testenv.KernelRelease(), vm)
	ix := openIndex(t, vm)
	names := []string{"lookup_one_qstr_excl", "vfs_read", "do_sys_openat2", "filename_create",
		"vfs_fstatat", "tcp_sendmsg", "path_mount", "do_mkdirat"}
	var fns []*Function
	var probes []string
	for _, name := range names {
		fs, err := ix.Lookup(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		fns = append(fns, fs[0])
		probes = append(probes, fmt.Sprintf("kernel.statement(%q)", fs[0].Name+"@"+fs[0].File+":*"))
	}
	// stap -L lists only its first argument; a comma list is one probe.
	stap := stapLines(t, tree, strings.Join(probes, ","))
	total := 0
	for _, f := range fns {
		want := stap[f.Name]
		if len(want) < 3 {
			t.Errorf("%s: stap lists only %d lines", f.Name, len(want))
		}
		total += compareLines(t, f.Name, ourLines(t, ix, f), want)
	}
	t.Logf("%d lines agree with stap -L", total)
}

// TestCLinesAgainstStap: the same for every function of the C fixture,
// unoptimised and at -O2 (where variables come and go by location list).
func TestCLinesAgainstStap(t *testing.T) {
	testenv.NeedStap(t)
	tree := buildTree(t, "", "")
	for _, v := range []testenv.CVariant{testenv.CO0, testenv.CO2} {
		t.Run(string(v), func(t *testing.T) {
			bin := testenv.CFixture(t, v)
			ix := openIndex(t, bin)
			fns, err := ix.Match("*")
			if err != nil {
				t.Fatal(err)
			}
			stap := stapLines(t, tree, fmt.Sprintf("process(%q).statement(\"*@cfix.c:*\")", bin))
			total, funcs := 0, 0
			for _, f := range fns {
				if f.NoTypes || f.Inlined || !strings.HasSuffix(f.File, "cfix.c") {
					continue
				}
				funcs++
				total += compareLines(t, f.Name, ourLines(t, ix, f), stap[f.Name])
			}
			if funcs < 5 || total < 20 {
				t.Errorf("only %d lines of %d functions compared", total, funcs)
			}
			t.Logf("%d lines of %d functions agree with stap -L", total, funcs)
		})
	}
}
