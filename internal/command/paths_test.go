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

// The ls runs in $(…), a shell below the one stap starts, so the runs
// that list a directory record --all-processes, --process ls choosing.

// listedEntries is the events of a run whose guest listed a directory
// with "LS NAME" lines, and the name field of each, which must be the n
// names ls printed.
func listedEntries(t *testing.T, out, errs string, n int) ([]jsonEvent, []string) {
	t.Helper()
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
	if len(listed) != n || !slices.Equal(slices.Sorted(slices.Values(names)), listed) {
		t.Fatalf("probed names %q, ls listed %q\n%s", names, listed, errs)
	}
	return evs, names
}

// reclen is the size of getdents64(2)'s record for a name: the 19-byte
// linux_dirent64 header, the name and its NUL, rounded up to 8.
func reclen(name string) int64 { return (19 + int64(len(name)) + 1 + 7) &^ 7 }

// TestCastInVM: filldir64's dir_context is the first member of getdents64's
// struct getdents_callback64 (fs/readdir.c), reached with @cast. For the
// entries ls lists in one getdents64 call, the buffer left (count) shrinks
// and prev_reclen grows by the size of each linux_dirent64 record: the
// 19-byte header, the name and its NUL, rounded up to 8 (the ABI of
// getdents64(2)); the names are those ls printed.
func TestCastInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	vmlinux := testenv.Vmlinux(t)
	out, errs, code := stapgen(t, "run", "--stap", vm, "--format", "json", "--process", "ls", "--all-processes",
		"-c", "/bin/sh -c 'mkdir /tmp/sgc && touch /tmp/sgc/a /tmp/sgc/bb /tmp/sgc/name-of-twenty-chars && for f in $(ls -a /tmp/sgc); do echo \"LS $f\"; done'",
		vmlinux, "filldir64", "--fields", `name,@cast(ctx, "struct getdents_callback64")->count,ctx:(struct getdents_callback64).prev_reclen`)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	evs, names := listedEntries(t, out, errs, 5)
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
	// --all-processes: $(…) puts the commands in a shell below the one
	// stap starts, past what -c alone records (its process and children).
	out, errs, code := stapgen(t, "run", "--stap", vm, "--format", "json", "--all-processes",
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

// recCalls is what wfix's show_rec printed, member path to value, a map
// per call.
func recCalls(printed string) []map[string]string {
	var calls []map[string]string
	for _, l := range strings.Split(printed, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), "CALL show_rec|"); ok {
			m := map[string]string{}
			for _, kv := range strings.Split(rest, "|") {
				k, v, _ := strings.Cut(kv, "=")
				m[k] = v
			}
			calls = append(calls, m)
		}
	}
	return calls
}

// TestCastOnHostBPF: casts under stapbpf (host stap 4.8): the @cast names
// the binary, and the values equal what show_rec printed.
func TestCastOnHostBPF(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.CProgram(t, "wfix", testenv.CO0)
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "--format", "json", "-c", bin, bin, "show_rec",
		"--fields", `r:(struct rec).id,@cast(r, "struct inner")->a`)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	calls, evs := recCalls(out+errs), parseEvents(t, out)
	if len(calls) != 2 || len(evs) != 2 {
		t.Fatalf("%d calls printed, %d events\n%s\n%s", len(calls), len(evs), out, errs)
	}
	for i, e := range evs {
		if got := strconv.FormatInt(e.num(t, "r:(struct rec).id"), 10); got != calls[i]["r.id"] {
			t.Errorf("call %d: cast id %s, the program printed %s", i, got, calls[i]["r.id"])
		}
		// struct inner's a is a short: the low half of the int id.
		if got := e.num(t, "r:(struct inner).a"); strconv.FormatInt(got, 10) != calls[i]["r.id"] {
			t.Errorf("call %d: (struct inner).a %d, the program printed id %s", i, got, calls[i]["r.id"])
		}
	}
}

// TestWholeCStructInVM: a C struct printed whole ($$) in the VM: every member
// printed, nested struct, named and anonymous unions, the string, the
// arrays and the followed pointer's pointee (NULL in the second call, so
// "!"), equals what the program printed for it.
func TestWholeCStructInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.CProgram(t, "wfix", testenv.CO0)
	out, errs, code := stapgen(t, "run", "--stap", vm, "--format", "json", "-c", bin, bin, "show_rec", "--fields", "r$$")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	calls := recCalls(out + errs)
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

// TestModuleCasts: casts to a module's type and to a vmlinux type, from a
// module target and from the target kernel, name the module stap must read
// the type from; stap 5.1's pass 2 resolves them against the lab's DWARF.
// An unknown type is refused naming the module's nearest ones.
func TestModuleCasts(t *testing.T) {
	root := testenv.SystemRoot(t)
	stap51 := labStap(t, lab.Trixie)
	r := testenv.KernelRelease()
	flags := []string{"-r", r, "--root", root}
	for _, tc := range []struct {
		target, function, fields string
		want                     []string
	}{
		{"module:overlay", "ovl_lookup", "dentry.d_fsdata:(struct ovl_entry).numlower,dir:(struct getdents_callback64@kernel).count",
			[]string{`@cast($dentry->d_fsdata, "struct ovl_entry", "`, `overlay.ko")->numlower`, `@cast($dir, "struct getdents_callback64", "kernel")->count`}},
		{"kernel", "filldir64", `@cast(ctx, "struct ovl_entry", "overlay")->numlower`,
			[]string{`@cast($ctx, "struct ovl_entry", "`, `overlay.ko")->numlower`}},
		// A typedef name, and a bare struct name spelled as stap needs it.
		{"kernel", "filldir64", "ctx:(seqcount_t).sequence,ctx:(getdents_callback64).count",
			[]string{`@cast($ctx, "seqcount_t", "kernel")->sequence`, `@cast($ctx, "struct getdents_callback64", "kernel")->count`}},
	} {
		src, errs, code := stapgen(t, append(append([]string{"gen"}, flags...), tc.target, tc.function, "--fields", tc.fields)...)
		if code != 0 {
			t.Fatalf("%s %s: exit %d\n%s", tc.target, tc.function, code, errs)
		}
		for _, w := range tc.want {
			if !strings.Contains(src, w) {
				t.Errorf("%s: script lacks %s:\n%s", tc.target, w, src)
			}
		}
		stapAccepts(t, stap51, src, "-r", r, "-p2")
	}
	_, errs, code := stapgen(t, append(append([]string{"gen"}, flags...), "module:overlay", "ovl_lookup", "--fields", "dir:(struct ovl_entr).numlower")...)
	if code != ExitRefused || !strings.Contains(errs, `no type "struct ovl_entr"`) || !strings.Contains(errs, "similar: struct ovl_entry") {
		t.Errorf("unknown type: exit %d: %s", code, errs)
	}
}

// TestPathsAtReturnInVM: the same path rules at entry and at return: a
// whole member of the returned dentry, a cast of a parameter (read at the
// entry, as stap's @entry), and a whole parameter, against the names the
// guest's mkdir made (abc inside sgp).
func TestPathsAtReturnInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	vmlinux := testenv.Vmlinux(t)
	cast := "base:(struct dentry).d_name.name"
	out, errs, code := stapgen(t, "run", "--stap", vm, "--format", "json", "--return",
		"-c", "/bin/sh -c 'mkdir /tmp/sgp && mkdir /tmp/sgp/abc'",
		vmlinux, "lookup_one_qstr_excl", "--fields", `return->d_name$,@cast(base, "struct dentry")->d_name.name,name$`)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	evs := parseEvents(t, out)
	if len(evs) != 4 {
		t.Fatalf("%d events, want an entry and a return per mkdir\n%s", len(evs), out)
	}
	for i, e := range evs {
		want, site := []string{"sgp", "abc"}[i/2], []string{"entry", "return"}[i%2]
		if e.str("site") != site {
			t.Fatalf("event %d is at %s, want %s", i, e.str("site"), site)
		}
		if got := member(t, e.field("name$"), "name")["value"]; got != want {
			t.Errorf("event %d (%s): name$ name = %v, want %s", i, site, got, want)
		}
		if i/2 == 1 {
			if got, _ := e.text(t, cast); got != "sgp" {
				t.Errorf("event %d (%s): %s = %q, want sgp", i, site, cast, got)
			}
		}
		if site == "return" {
			q := e.field("return.d_name$")
			if got := member(t, q, "name")["value"]; got != want || number(t, member(t, q, "len")) != int64(len(want)) {
				t.Errorf("event %d: the returned dentry's d_name is %v, want %s", i, q, want)
			}
		}
	}
}

// TestWholeGoInVM: a Go struct whole through a pointer, read by address
// from the register ABI: Name and Mode as main.Ptr printed them, and the
// members behind its nil Next missing ("!"), not the zeros user-memory
// reads give at address 0.
func TestWholeGoInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	out, errs, code := stapgen(t, "run", "--stap", vm, "--stap-version", "5.1", "-c", bin, "--format", "json",
		bin, "main.Ptr", "--fields", "o$$")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	m := regexp.MustCompile(`CALL main.Ptr o.Name="([^"]*)" o.Mode=(\d+)`).FindStringSubmatch(errs)
	evs := parseEvents(t, out)
	if m == nil || len(evs) != 1 {
		t.Fatalf("%d events; program said %q\n%s", len(evs), m, errs)
	}
	o := evs[0].field("o$$")
	if got := member(t, o, "Name")["value"]; got != m[1] {
		t.Errorf("Name = %v, the program printed %q", got, m[1])
	}
	if got := strconv.FormatInt(number(t, member(t, o, "Mode")), 10); got != m[2] {
		t.Errorf("Mode = %s, the program printed %s", got, m[2])
	}
	next := member(t, o, "Next")
	if next["value"] != "0x0" {
		t.Fatalf("Next = %v, want nil", next)
	}
	p, ok := next["pointee"].(map[string]any)
	if !ok {
		t.Fatalf("Next was not followed: %v", next)
	}
	for k, v := range p["value"].(map[string]any) {
		if miss, _ := v.(map[string]any)["missing"].(bool); !miss {
			t.Errorf("Next.%s behind nil = %v, want missing", k, v)
		}
	}
}

// TestPathsAtLineInVM: the same path rules at a line probe: inside
// filldir64, after reclen is computed, the whole buf ($) and a cast of ctx
// to the same struct agree, reclen is the linux_dirent64 record size of the
// name, and buf's current_dir moves on by the previous record's size; the
// names are those ls printed.
func TestPathsAtLineInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	vmlinux := testenv.Vmlinux(t)
	cast := "ctx:(struct getdents_callback64).count"
	out, errs, code := stapgen(t, "run", "--stap", vm, "--format", "json", "--process", "ls", "--all-processes",
		"-c", "/bin/sh -c 'mkdir /tmp/sgl && touch /tmp/sgl/a /tmp/sgl/name-of-twenty-chars && for f in $(ls -a /tmp/sgl); do echo \"LS $f\"; done'",
		vmlinux, "filldir64@fs/readdir.c:321", "--fields", "name,reclen,buf$,"+cast)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	evs, names := listedEntries(t, out, errs, 4)
	var prevDir int64
	for i, e := range evs {
		buf := e.field("buf$")
		if got := e.num(t, "reclen"); got != reclen(names[i]) {
			t.Errorf("entry %d (%s): reclen %d, want %d", i, names[i], got, reclen(names[i]))
		}
		if c := number(t, member(t, buf, "count")); c != e.num(t, cast) {
			t.Errorf("entry %d: buf.count %d, the cast reads %d", i, c, e.num(t, cast))
		}
		dir := number(t, member(t, buf, "current_dir"))
		if i > 0 && dir-prevDir != reclen(names[i-1]) {
			t.Errorf("entry %d: current_dir moved %d, want %d", i, dir-prevDir, reclen(names[i-1]))
		}
		prevDir = dir
	}
}

// TestCastOnCommandLine: a comma inside @cast(...) or inside a filter's
// string does not split --fields or --where; the cast reaches the filter
// too, through the same path rules.
func TestCastOnCommandLine(t *testing.T) {
	vmlinux := testenv.Vmlinux(t)
	src, errs, code := stapgen(t, "gen", vmlinux, "filldir64", "--fields", `name,@cast(ctx, "struct getdents_callback64", "kernel")->count`,
		"--where", `@cast(ctx, "struct getdents_callback64")->count > 100`, "--where", `name == "a,b"`)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	for _, w := range []string{
		`printf(" %d", @cast($ctx, "struct getdents_callback64", "kernel")->count)`,
		`(@cast($ctx, "struct getdents_callback64", "kernel")->count) > 100 && (kernel_string_n($name, 4) == "a,b")`,
	} {
		if !strings.Contains(src, w) {
			t.Errorf("script lacks %s:\n%s", w, src)
		}
	}
}
