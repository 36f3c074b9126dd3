package command

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// bpfFfix runs the filter fixture's f_open under host BPF with args and
// returns its events' seq and path (path "!" when marked unreadable) and
// the fixture's own CALL lines of f_open.
func bpfFfix(t *testing.T, args ...string) (seqs, paths []string, calls []map[string]string) {
	t.Helper()
	host := labStap(t, lab.HostBPF)
	bin := testenv.CProgram(t, "ffix", testenv.CO2)
	full := append([]string{"run", "--stap", host, "--runtime", "bpf", "-c", fmt.Sprintf("%s %d", bin, ffixLoops), "--format", "json", bin, "f_open"}, args...)
	out, errs, code := stapgen(t, full...)
	if code != 0 {
		t.Fatalf("stapgen %q: exit %d\n%s", full, code, errs)
	}
	calls = said(t, errs, "CALL")["f_open"]
	if len(calls) != ffixLoops {
		t.Fatalf("the fixture printed %d calls of f_open, want %d\n%s", len(calls), ffixLoops, errs)
	}
	for _, e := range exactEvents(t, out) {
		seqs = append(seqs, val(e, "seq"))
		if f := jsonEvent(e).field("path"); f["missing"] == true {
			paths = append(paths, "!")
		} else {
			paths = append(paths, val(e, "path"))
		}
	}
	return seqs, paths, calls
}

// TestBPFFilterBesideCString: a filter beside a C string field compiles
// on stap 4.8's BPF runtime (it overflowed the handler's stack) and
// delivers exactly the calls the fixture's lines say pass, each with the
// path the fixture printed; also with the string first in the record.
func TestBPFFilterBesideCString(t *testing.T) {
	for _, tc := range []struct {
		fields, where string
		keep          func(c ffixCall) bool
	}{
		{"seq,path", "flags & 1", func(c ffixCall) bool { return c.n("flags")&1 != 0 }},
		{"path,seq,mode", "(flags & 0x40) != 0 || mode > 10", func(c ffixCall) bool { return c.n("flags")&0x40 != 0 || c.n("mode") > 10 }},
	} {
		t.Run(tc.fields, func(t *testing.T) {
			seqs, paths, calls := bpfFfix(t, "--fields", tc.fields, "--where", tc.where)
			var wantSeq, wantPath []string
			for _, c := range calls {
				if tc.keep(c) {
					wantSeq, wantPath = append(wantSeq, c["seq"]), append(wantPath, c["path"])
				}
			}
			if len(wantSeq) == 0 || len(wantSeq) == len(calls) {
				t.Fatalf("the filter keeps %d of %d calls: it tells nothing", len(wantSeq), len(calls))
			}
			if strings.Join(seqs, " ") != strings.Join(wantSeq, " ") {
				t.Errorf("events of calls %v, want %v (the fixture's lines that pass)", seqs, wantSeq)
			}
			if fmt.Sprintf("%q", paths) != fmt.Sprintf("%q", wantPath) {
				t.Errorf("paths %q, want %q (as the fixture printed them)", paths, wantPath)
			}
		})
	}
}

// TestBPFCStringUntouchedPage: the fixture's first f_open passes a string
// of its .rodata, a page no instruction has read yet (its first printf
// comes after the call). stapbpf cannot fault it in: the value prints as
// unreadable where the run used to end with "user copy fault", and every
// other call delivers the path the fixture printed.
func TestBPFCStringUntouchedPage(t *testing.T) {
	seqs, paths, calls := bpfFfix(t, "--fields", "seq,path")
	if len(seqs) != len(calls) {
		t.Fatalf("%d events, want one per call (%d): %v", len(seqs), len(calls), seqs)
	}
	for i, c := range calls {
		if seqs[i] != c["seq"] {
			t.Fatalf("event %d is of call %s, want %s", i, seqs[i], c["seq"])
		}
		want := c["path"]
		if i == 0 {
			want = "!" // read before the program touched its page
		}
		if paths[i] != want {
			t.Errorf("call %s: path %q, want %q (the fixture printed %q)", c["seq"], paths[i], want, c["path"])
		}
	}
}

// TestBPFUnsignedIntInRegister: an unsigned int parameter in a register
// at -O2 (at the entry, and as its entry value at the return), and an
// unsigned int result, print on stap 4.8's BPF runtime (its verifier
// refused the whole script) with the values the fixture printed, above
// 2^31; a filter on it keeps the calls the fixture's lines say pass.
func TestBPFUnsignedIntInRegister(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.CProgram(t, "ufix", testenv.CO2)
	script, errs, code := stapgen(t, "gen", "--runtime", "bpf", bin, "u_mix", "--return", "--fields", "seq,base,mask,tag")
	if code != 0 || !strings.Contains(script, "@uregister(") {
		t.Fatalf("exit %d; the script reads no register itself, so the fixture's mask is not in one:\n%s%s", code, script, errs)
	}
	const loops = 6
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", fmt.Sprintf("%s %d", bin, loops), "--format", "json",
		bin, "u_mix", "--return", "--fields", "seq,base,mask,tag")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	calls := said(t, errs, "CALL")["u_mix"]
	if len(calls) != loops {
		t.Fatalf("the fixture printed %d calls, want %d\n%s", len(calls), loops, errs)
	}
	var entries, returns []string
	for _, e := range exactEvents(t, out) {
		if e["site"] == "return" {
			returns = append(returns, val(e, "return")+" "+val(e, "mask"))
		} else {
			entries = append(entries, strings.Join([]string{val(e, "seq"), val(e, "base"), val(e, "mask"), val(e, "tag")}, " "))
		}
	}
	var wantE, wantR []string
	for _, c := range calls {
		wantE = append(wantE, strings.Join([]string{c["seq"], c["base"], c["mask"], c["tag"]}, " "))
		wantR = append(wantR, c["ret"]+" "+c["mask"])
	}
	if strings.Join(entries, "\n") != strings.Join(wantE, "\n") {
		t.Errorf("entries (seq base mask tag):\n%s\nwant (the fixture's lines):\n%s", strings.Join(entries, "\n"), strings.Join(wantE, "\n"))
	}
	if strings.Join(returns, " ") != strings.Join(wantR, " ") {
		t.Errorf("returns (return, mask as at the entry) %q, want %q", returns, wantR)
	}

	// A filter on the register value keeps the calls the lines say pass.
	out, errs, code = stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", fmt.Sprintf("%s %d", bin, loops), "--format", "json",
		bin, "u_mix", "--fields", "seq", "--where", "(mask & 0xf) < 9")
	if code != 0 {
		t.Fatalf("filtered: exit %d\n%s", code, errs)
	}
	var got, want []string
	for _, e := range exactEvents(t, out) {
		got = append(got, val(e, "seq"))
	}
	for _, c := range said(t, errs, "CALL")["u_mix"] {
		if m, _ := strconv.ParseUint(c["mask"], 10, 32); m&0xf < 9 {
			want = append(want, c["seq"])
		}
	}
	if len(want) == 0 || len(want) == loops || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("filtered events of calls %v, want %v (of %d)", got, want, loops)
	}
	// A constant from 2^31 on is refused before stap runs, saying why.
	_, errs, code = stapgen(t, "gen", "--runtime", "bpf", bin, "u_mix", "--where", "mask < 4294967270")
	if code != ExitRefused || !strings.Contains(errs, "constants outside ±2^31") {
		t.Errorf("a filter with 4294967270: exit %d, want %d with the reason\n%s", code, ExitRefused, errs)
	}
}

// TestBPFCStringBeforeUnmappedPage: sfix's "edge" passes ten bytes that
// run into an unmapped page. stapbpf's run used to end there ("user copy
// fault"); now it completes, every other string equals what sfix passed,
// and the edge string, whose read faults before its NUL, is marked
// unreadable.
func TestBPFCStringBeforeUnmappedPage(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.CProgram(t, "sfix", testenv.CO2)
	out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin+" edge", "--format", "json", bin, "take", "peek")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	checkCStrings(t, out, errs, 62, false)
	var peeks []jsonEvent
	for _, e := range parseEvents(t, out) {
		if e.str("probe") == "peek" {
			peeks = append(peeks, e)
		}
	}
	calls := said(t, errs, "CALL")["peek"]
	if len(peeks) != 1 || len(calls) != 1 {
		t.Fatalf("%d peek events for %d calls\n%s", len(peeks), len(calls), out)
	}
	if m, _ := peeks[0].field("s")["missing"].(bool); !m {
		t.Errorf("edge: s = %v, want it marked unreadable (sfix passed %q, then an unmapped page)", peeks[0].field("s"), calls[0]["s"])
	}
}
