package command

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// member walks a whole value's JSON down the member names (a followed
// pointer's pointee is "*") and returns the member's object.
func member(t *testing.T, f map[string]any, names ...string) map[string]any {
	t.Helper()
	for _, n := range names {
		var next any
		if n == "*" {
			next = f["pointee"]
		} else if v, ok := f["value"].(map[string]any); ok {
			next = v[n]
		}
		m, ok := next.(map[string]any)
		if !ok {
			t.Fatalf("no member %s in %v", n, f)
		}
		f = m
	}
	return f
}

func number(t *testing.T, f map[string]any) int64 {
	t.Helper()
	switch v := f["value"].(type) {
	case float64:
		return int64(v)
	case string:
		n, err := strconv.ParseUint(v, 0, 64)
		if err == nil {
			return int64(n)
		}
	}
	t.Fatalf("not a number: %v", f)
	return 0
}

// TestCastInVM: filldir64's dir_context is the first member of getdents64's
// struct getdents_callback64 (fs/readdir.c), reached with @cast. For the
// entries ls lists in one getdents64 call, the buffer left (count) shrinks
// and prev_reclen grows by the size of each linux_dirent64 record: the
// 19-byte header, the name and its NUL, rounded up to 8 (the ABI of
// getdents64(2)); the names are those ls printed.
func TestCastInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	vmlinux := testenv.Vmlinux(t)
	out, errs, code := stapgen(t, "run", "--stap", vm, "--format", "json", "--process", "ls",
		"-c", "/bin/sh -c 'mkdir /tmp/sgc && touch /tmp/sgc/a /tmp/sgc/bb /tmp/sgc/name-of-twenty-chars && for f in $(ls -a /tmp/sgc); do echo \"LS $f\"; done'",
		vmlinux, "filldir64", "--fields", `name,@cast(ctx, "struct getdents_callback64")->count,ctx:(struct getdents_callback64).prev_reclen`)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var listed []string
	for _, m := range regexp.MustCompile(`(?m)^LS (\S+)\r?$`).FindAllStringSubmatch(errs, -1) {
		listed = append(listed, m[1])
	}
	evs := parseEvents(t, out)
	var names []string
	for _, e := range evs {
		s, _ := e.text(t, "name")
		names = append(names, s)
	}
	slices.Sort(listed)
	sorted := slices.Sorted(slices.Values(names))
	if len(listed) != 5 || !slices.Equal(sorted, listed) {
		t.Fatalf("filldir64 names %q, ls listed %q\n%s", names, listed, errs)
	}
	reclen := func(name string) int64 { return (19 + int64(len(name)) + 1 + 7) &^ 7 }
	count := "ctx:(struct getdents_callback64).count"
	prev := "ctx:(struct getdents_callback64).prev_reclen"
	if p := evs[0].num(t, prev); p != 0 {
		t.Errorf("first entry: prev_reclen = %d, want 0", p)
	}
	for i := 1; i < len(evs); i++ {
		want := reclen(names[i-1])
		if got := evs[i-1].num(t, count) - evs[i].num(t, count); got != want {
			t.Errorf("entry %d (%s): count went down by %d, want %d (record of %q)", i, names[i], got, want, names[i-1])
		}
		if got := evs[i].num(t, prev); got != want {
			t.Errorf("entry %d (%s): prev_reclen = %d, want %d", i, names[i], got, want)
		}
	}
}

// TestWholeKernelInVM: lookup_one_qstr_excl's struct qstr printed whole
// ($$, its len and hash in an anonymous struct in an anonymous union) and
// the parent dentry two levels deep with its inode followed: names, lengths
// and the parent's inode number as the guest's mkdir and ls -id give them.
// The first mkdir is in /tmp, a tmpfs whose root dentry is "/", and gives
// the names only.
func TestWholeKernelInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	vmlinux := testenv.Vmlinux(t)
	out, errs, code := stapgen(t, "run", "--stap", vm, "--format", "json",
		"-c", "/bin/sh -c 'mkdir /tmp/sgw && mkdir /tmp/sgw/one /tmp/sgw/second && echo INO $(ls -id /tmp/sgw)'",
		vmlinux, "lookup_one_qstr_excl", "--fields", "name$$,base$$")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	m := regexp.MustCompile(`(?m)^INO (\d+) /tmp/sgw\r?$`).FindStringSubmatch(errs)
	if m == nil {
		t.Fatalf("the guest printed no inode number\n%s", errs)
	}
	ino, _ := strconv.ParseInt(m[1], 10, 64)
	evs := parseEvents(t, out)
	if len(evs) != 3 {
		t.Fatalf("%d events, want one per mkdir\n%s", len(evs), out)
	}
	for i, want := range []string{"sgw", "one", "second"} {
		q := evs[i].field("name$$")
		if q["type"] != "struct qstr const" && !strings.HasPrefix(q["type"].(string), "struct qstr") {
			t.Errorf("name$$ type %v", q["type"])
		}
		if got := member(t, q, "name")["value"]; got != want {
			t.Errorf("event %d: name = %v, want %q", i, got, want)
		}
		n, h, hl := number(t, member(t, q, "len")), number(t, member(t, q, "hash")), number(t, member(t, q, "hash_len"))
		if n != int64(len(want)) || uint64(hl) != uint64(h)|uint64(n)<<32 {
			t.Errorf("event %d: len %d hash %d hash_len %d, want len %d and hash_len = len<<32|hash", i, n, h, hl, len(want))
		}
		if i == 0 {
			continue // made in /tmp, the guest's tmpfs root
		}
		d := evs[i].field("base$$")
		if got := member(t, d, "d_name", "name")["value"]; got != "sgw" {
			t.Errorf("event %d: base.d_name.name = %v, want sgw", i, got)
		}
		if got := number(t, member(t, d, "d_inode", "*", "i_ino")); got != ino {
			t.Errorf("event %d: base.d_inode->i_ino = %d, want %d (ls -id /tmp)", i, got, ino)
		}
	}
}

// flatten lists a whole value's members by their paths ("r.next.id"), each
// value as the fixture prints it: numbers in decimal, pointers in hex,
// arrays comma-separated; members that could not be read go to missing.
func flatten(t *testing.T, prefix string, f map[string]any, out map[string]string, missing map[string]bool) {
	t.Helper()
	if p, ok := f["pointee"].(map[string]any); ok {
		out[prefix] = f["value"].(string)
		flatten(t, prefix, p, out, missing)
		return
	}
	if m, _ := f["missing"].(bool); m {
		missing[prefix] = true
		return
	}
	switch v := f["value"].(type) {
	case map[string]any:
		for k, m := range v {
			flatten(t, prefix+"."+k, m.(map[string]any), out, missing)
		}
	case []any:
		var s []string
		for _, e := range v {
			s = append(s, strconv.FormatInt(int64(e.(float64)), 10))
		}
		out[prefix] = strings.Join(s, ",")
	case float64:
		out[prefix] = strconv.FormatInt(int64(v), 10)
	case string:
		out[prefix] = v
	default:
		t.Fatalf("%s: unexpected %v", prefix, f)
	}
}

// TestWholeCStruct: a C struct printed whole ($$) in the VM: every member
// printed, nested struct, named and anonymous unions, the string, the
// arrays and the followed pointer's pointee (NULL in the second call, so
// "!"), equals what the program printed for it.
func TestWholeCStruct(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.CProgram(t, "wfix", testenv.CO0)
	out, errs, code := stapgen(t, "run", "--stap", vm, "--format", "json", "-c", bin, bin, "show_rec", "--fields", "r$$")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var calls []map[string]string
	for _, l := range strings.Split(out+errs, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), "CALL show_rec|"); ok {
			m := map[string]string{}
			for _, kv := range strings.Split(rest, "|") {
				k, v, _ := strings.Cut(kv, "=")
				m[k] = v
			}
			calls = append(calls, m)
		}
	}
	evs := parseEvents(t, out)
	if len(calls) != 2 || len(evs) != 2 {
		t.Fatalf("%d calls printed, %d events\n%s\n%s", len(calls), len(evs), out, errs)
	}
	for i, e := range evs {
		got, missing := map[string]string{}, map[string]bool{}
		flatten(t, "r", e.field("r$$"), got, missing)
		for k, v := range got {
			if pv, ok := calls[i][k]; !ok || pv != v {
				t.Errorf("call %d: %s = %q, the program printed %q", i, k, v, calls[i][k])
			}
		}
		for _, k := range []string{"r.id", "r.in.a", "r.in.b", "r.u.as_int", "r.u.halves", "r.whole", "r.lo", "r.hi", "r.label", "r.next", "r.tags", "r.code"} {
			if _, ok := got[k]; !ok {
				t.Errorf("call %d: %s not printed (got %v)", i, k, got)
			}
		}
		switch {
		case i == 0 && (got["r.next.id"] != "7" || got["r.next.label"] != "last one" || len(missing) > 0):
			t.Errorf("call 0: the pointer was not followed: %v, missing %v", got, missing)
		case i == 1 && (!missing["r.next.id"] || !missing["r.next.tags"] || !missing["r.next.code"] || got["r.next"] != "0x0"):
			t.Errorf("call 1: members behind the NULL next are not missing: %v, missing %v", got, missing)
		}
	}
}

// TestWholeRefusedOnBPF: stapbpf cannot hold a whole struct's reads (two
// strings in one handler exceed its stack, measured with stap 4.8), so the
// request is refused at generation with that limit, not by stap later.
func TestWholeRefusedOnBPF(t *testing.T) {
	bin := testenv.CProgram(t, "wfix", testenv.CO0)
	_, errs, code := stapgen(t, "gen", "--runtime", "bpf", bin, "show_rec", "--fields", "r$$")
	if code != ExitRefused || !strings.Contains(errs, "whole values need the kernel runtime") || !strings.Contains(errs, "512-byte stack") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}
