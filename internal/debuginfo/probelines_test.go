package debuginfo

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

var stapPCRe = regexp.MustCompile(`/\* pc=([^+ ]+)\+0x([0-9a-f]+) \*/`)

// stapSites runs stap -v -L, which prints one line per probe stap would
// place (one per address and copy of the function holding it, with that
// copy's variables): function → "LINE@ADDR" → the variable lists there,
// sorted and joined with " | ". ADDR is the file address: stap prints
// kernel addresses from _stext (at stext), user ones as they are.
func stapSites(t *testing.T, tree string, stext uint64, probe string) map[string]map[string]string {
	t.Helper()
	testenv.NeedStap(t)
	cmd := exec.Command("stap", "-r", tree, "-v", "-L", probe)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("stap -v -L %s: %v\n%s", probe, err, stderr.Bytes())
	}
	sets := map[string]map[string][]string{}
	for _, line := range testenv.Lines(out) {
		m := stapLineRe.FindStringSubmatch(line)
		pc := stapPCRe.FindStringSubmatch(line)
		if m == nil || pc == nil {
			continue
		}
		at := strings.LastIndex(m[1], "@")
		colon := strings.LastIndex(m[1], ":")
		if at < 0 || colon < at {
			t.Fatalf("stap line %q", line)
		}
		name, lineno := m[1][:at], m[1][colon+1:]
		off, _ := strconv.ParseUint(pc[2], 16, 64)
		if pc[1] == "_stext" {
			off += stext
		}
		var vars []stapVar
		rest := m[2]
		locs := stapVarRe.FindAllStringSubmatchIndex(rest, -1)
		for k, l := range locs {
			end := len(rest)
			if k+1 < len(locs) {
				end = locs[k+1][0]
			}
			vars = append(vars, stapVar{Name: rest[l[2]:l[3]], Type: strings.TrimSpace(rest[l[1]:end])})
		}
		if sets[name] == nil {
			sets[name] = map[string][]string{}
		}
		key := fmt.Sprintf("%s@%#x", lineno, off)
		sets[name][key] = append(sets[name][key], varsString(vars))
	}
	if len(sets) == 0 {
		t.Fatalf("stap -v -L %s listed nothing:\n%s%s", probe, out, stderr.Bytes())
	}
	return joinSets(sets)
}

func joinSets(sets map[string]map[string][]string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for fn, byKey := range sets {
		out[fn] = map[string]string{}
		for k, vs := range byKey {
			sort.Strings(vs)
			out[fn][k] = strings.Join(vs, " | ")
		}
	}
	return out
}

// ourSites is Lines in the same shape.
func ourSites(t *testing.T, ix *Index, f *Function) map[string]string {
	t.Helper()
	ls, err := ix.Lines(f)
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	byKey := map[string][]string{}
	for _, l := range ls {
		var vs []stapVar
		for _, v := range l.Vars {
			vs = append(vs, stapVar{v.Name, v.Type.Name})
		}
		k := fmt.Sprintf("%d@%#x", l.Line, l.Addr)
		byKey[k] = append(byKey[k], varsString(vs))
	}
	return joinSets(map[string]map[string][]string{f.Name: byKey})[f.Name]
}

// stext is the address stap counts kernel addresses from, by the
// standard library's reading of the symbol table.
func stext(t *testing.T, ix *Index) uint64 {
	t.Helper()
	f, err := elf.Open(ix.Binary().Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if s.Name == "_stext" {
			return s.Value
		}
	}
	t.Fatal("no _stext symbol")
	return 0
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
	stap := stapSites(t, tree, stext(t, ix), strings.Join(probes, ","))
	total := 0
	for _, f := range fns {
		want := stap[f.Name]
		if len(want) < 3 {
			t.Errorf("%s: stap lists only %d lines", f.Name, len(want))
		}
		total += compareLines(t, f.Name, ourSites(t, ix, f), want)
	}
	t.Logf("%d probe sites agree with stap -v -L", total)
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
			stap := stapSites(t, tree, 0, fmt.Sprintf("process(%q).statement(\"*@cfix.c:*\")", bin))
			total, funcs := 0, 0
			for _, f := range fns {
				if f.NoTypes || f.Inlined || ix.IsClone(f) || !strings.HasSuffix(f.File, "cfix.c") {
					continue
				}
				funcs++
				total += compareLines(t, f.Name, ourSites(t, ix, f), stap[f.Name])
			}
			if funcs < 5 || total < 20 {
				t.Errorf("only %d lines of %d functions compared", total, funcs)
			}
			t.Logf("%d probe sites of %d functions agree with stap -v -L", total, funcs)
		})
	}
}

// TestVmlinuxFileLinesAgainstStap: every function of fs/namei.c and
// net/ipv4/tcp.c, its lines and their variables (its copies inlined in the
// same file included; an inline-only function's through them) as stap
// -v -L lists them, site by site, for kernel.statement("F@FILE:*").
func TestVmlinuxFileLinesAgainstStap(t *testing.T) {
	vm := testenv.Vmlinux(t)
	testenv.NeedStap(t)
	tree := buildTree(t, testenv.KernelRelease(), vm)
	ix := openIndex(t, vm)
	for _, file := range []string{"fs/namei.c", "net/ipv4/tcp.c"} {
		t.Run(strings.ReplaceAll(file, "/", "_"), func(t *testing.T) {
			var fns []*Function
			var probes []string
			seen := map[string]bool{}
			inlineOnly := 0
			for _, s := range stapList(t, tree, fmt.Sprintf("kernel.function(\"*@%s\")", file)) {
				if seen[s.Name] || s.File != file {
					continue
				}
				seen[s.Name] = true
				fs, err := ix.Lookup(s.Name)
				if err != nil {
					t.Errorf("%s: %v", s.Name, err)
					continue
				}
				// The out-of-line copy, else the inline-only function.
				var pick *Function
				for _, f := range fs {
					if f.File == file && !ix.IsClone(f) && (pick == nil || pick.Inlined && !f.Inlined) {
						pick = f
					}
				}
				if pick != nil {
					fns = append(fns, pick)
					probes = append(probes, fmt.Sprintf("kernel.statement(%q)", pick.Name+"@"+file+":*"))
					if pick.Inlined {
						inlineOnly++
					}
				}
			}
			stap := stapSites(t, tree, stext(t, ix), strings.Join(probes, ","))
			lines, agree := 0, 0
			for _, f := range fns {
				got, want := ourSites(t, ix, f), stap[f.Name]
				lines += len(want)
				if compareLines(t, f.Name, got, want) == len(want) && len(got) == len(want) {
					agree++
				}
			}
			t.Logf("%s: %d of %d functions (%d inline-only) agree with stap -v -L on all their probe sites (%d sites)", file, agree, len(fns), inlineOnly, lines)
			if len(fns) < 50 {
				t.Errorf("only %d functions", len(fns))
			}
		})
	}
}

// commonVars is, per line, the variables readable at every site of it,
// as a sorted list: what stap -L prints for a statement probe that has
// several sites (the intersection; its order is stap's set order).
func commonVars(lines map[string][][]stapVar) map[string]string {
	out := map[string]string{}
	for l, sites := range lines {
		count := map[string]int{}
		for _, vs := range sites {
			seen := map[string]bool{}
			for _, v := range vs {
				k := "$" + v.Name + ":" + v.Type
				if !seen[k] {
					seen[k] = true
					count[k]++
				}
			}
		}
		var common []string
		for k, n := range count {
			if n == len(sites) {
				common = append(common, k)
			}
		}
		sort.Strings(common)
		out[l] = strings.Join(common, " ")
	}
	return out
}

// TestModuleLinesAgainstStap: the lines of functions of two lab kernel
// modules, with the variables readable at all their sites, equal what
// stap 5.1 -L lists for module("PATH").statement("F@FILE:*").
func TestModuleLinesAgainstStap(t *testing.T) {
	testenv.KernelRoot(t)
	stap, err := lab.Stap(lab.Trixie)
	testenv.Need(t, err == nil, "stap 5.1 of the lab: %v", err)
	total := 0
	for _, rel := range []string{"fs/overlayfs/overlay.ko", "drivers/net/macvlan.ko"} {
		path := testenv.ModuleDebugFile(t, rel)
		ix := openIndex(t, path)
		all, err := ix.Match("*")
		if err != nil {
			t.Fatal(err)
		}
		var picked []*Function
		for i, f := range all {
			if i%7 == 0 && !f.NoTypes && !f.Inlined && !ix.IsClone(f) && strings.HasSuffix(f.File, ".c") && !strings.Contains(f.File, "./") && len(picked) < 15 {
				picked = append(picked, f)
			}
		}
		var probes []string
		for _, f := range picked {
			probes = append(probes, fmt.Sprintf("module(%q).statement(%q)", path, f.Name+"@"+f.File+":*"))
		}
		cmd := exec.Command(stap, "-r", testenv.KernelRelease(), "-L", strings.Join(probes, ", "))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("stap -L on %s: %v\n%s", rel, err, stderr.Bytes())
		}
		want := map[string]map[string][][]stapVar{}
		for _, s := range parseStapList(out) {
			if want[s.Name] == nil {
				want[s.Name] = map[string][][]stapVar{}
			}
			want[s.Name][s.Line] = append(want[s.Name][s.Line], s.Vars)
		}
		for _, f := range picked {
			ls, err := ix.Lines(f)
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			got := map[string][][]stapVar{}
			for _, l := range ls {
				var vs []stapVar
				for _, v := range l.Vars {
					vs = append(vs, stapVar{v.Name, v.Type.Name})
				}
				got[fmt.Sprint(l.Line)] = append(got[fmt.Sprint(l.Line)], vs)
			}
			if len(want[f.Name]) == 0 {
				t.Errorf("%s %s: stap lists no line", rel, f.Name)
			}
			total += compareLines(t, rel+" "+f.Name, commonVars(got), commonVars(want[f.Name]))
		}
	}
	if total < 100 {
		t.Errorf("only %d lines compared", total)
	}
	t.Logf("%d module lines agree with stap 5.1 -L", total)
}
