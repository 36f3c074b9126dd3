package command

import (
	"bytes"
	"debug/dwarf"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// stackedArgs are main.Stacked's parameters the register ABI passes on
// the stack (the nine integer registers hold a..i), and regArgs those in
// registers.
var (
	stackedArgs = []string{"ok", "i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "p", "s", "pair"}
	regArgs     = []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}
)

// TestBPFGoStackArgs: on the host's BPF runtime a Go function's
// parameters passed on the stack read from the words above the stack
// pointer at its entry: each of main.Stacked's three calls (-stack) has
// the bool, the integers of 1, 2, 4 and 8 bytes sharing words (negative,
// top bit set, extremes), the pointer (nil too), the string (empty, and
// longer than the 64-byte bound) and the [2]int16 the program printed,
// beside its register arguments. Before, all of them printed "!". In the
// DWARF build, whose DWARF says where Go put them (stackParams, read with
// readelf: not stapgen's ABI code), and in its stripped twin, whose debug
// file stapgen writes; main.Leaf, whose one argument is on the stack and
// which has no stack check, too.
func TestBPFGoStackArgs(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	src := filepath.Dir(testenv.GoSource("main.go"))
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	bin := testenv.GoFixture(t, testenv.GoDefault)
	onStack := stackParams(t, bin, "main.Stacked")
	for _, n := range stackedArgs {
		if !onStack[n] {
			t.Errorf("main.Stacked's DWARF does not place %s on the stack at the entry (have %v): the test no longer tests stack arguments", n, onStack)
		}
	}
	for _, n := range regArgs {
		if onStack[n] {
			t.Errorf("main.Stacked's DWARF places %s on the stack, not in a register", n)
		}
	}
	for _, v := range []testenv.GoVariant{testenv.GoDefault, testenv.Strip(testenv.GoDefault)} {
		t.Run(string(v), func(t *testing.T) {
			bin := testenv.GoFixture(t, v)
			// First and alone in its run: nothing else has the stripped
			// binary's debug file (kept for the runs after it) describe a
			// function (TestBPFStackOnlyDescribed).
			out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin+" -stack", "--format", "json", "--source", src, bin, "main.Leaf")
			if code != 0 {
				t.Fatalf("main.Leaf: exit %d\n%s", code, errs)
			}
			leaf := stackEvents(t, out)
			if l := said(t, errs, "CALL")["main.Leaf"]; len(leaf) != 1 || len(l) != 1 || val(leaf[0], "a") != l[0]["a"] {
				t.Errorf("main.Leaf: events %v, the program passed %v", leaf, l)
			}
			out, errs, code = stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin+" -stack", "--format", "json", "--source", src, bin, "main.Stacked")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errs)
			}
			calls := said(t, errs, "CALL")["main.Stacked"]
			evs := stackEvents(t, out)
			if len(calls) != 3 || len(evs) != len(calls) {
				t.Fatalf("%d events for %d calls\n%s\n%s", len(evs), len(calls), out, errs)
			}
			for i, e := range evs {
				for _, n := range append(append([]string{}, regArgs...), stackedArgs...) {
					got, want := val(e, n), calls[i][n]
					if n == "s" {
						// Cut at the BPF runtime's 64-byte bound, its
						// length whole.
						var cut bool
						got, cut = e.text(t, n)
						if cut && len(want) > 64 {
							want = want[:64]
						}
						if l := fmt.Sprint(e.field(n)["len"]); l != fmt.Sprint(len(calls[i][n])) {
							t.Errorf("call %d: len(s) = %s, the program passed %d bytes", i, l, len(calls[i][n]))
						}
					}
					if got != want {
						t.Errorf("call %d: %s = %q, the program passed %q\n%v", i, n, got, want, e)
					}
				}
			}
		})
	}
}

// stackEvents are the entry events of out, numbers exact.
func stackEvents(t *testing.T, out string) []jsonEvent {
	var evs []jsonEvent
	for _, e := range exactEvents(t, out) {
		if e := jsonEvent(e); e.str("site") == "entry" {
			evs = append(evs, e)
		}
	}
	return evs
}

// stackParams are the parameters of fn in bin whose DWARF location at the
// function's entry is relative to the frame base or the CFA (Go's frame
// base is the CFA): on the stack. The location lists are read with
// readelf, the DIEs with debug/dwarf.
func stackParams(t *testing.T, bin, fn string) map[string]bool {
	t.Helper()
	readelf := testenv.NeedTool(t, "readelf")
	d := testenv.DWARF(t, bin)
	dump, err := exec.Command(readelf, "--debug-dump=loc", bin).Output()
	if err != nil {
		t.Fatalf("readelf: %v", err)
	}
	cfa := regexp.MustCompile(`^\(DW_OP_(call_frame_cfa|fbreg: \d+)`)
	out := map[string]bool{}
	r := d.Reader()
	in := false
	for {
		e, err := r.Next()
		if err != nil || e == nil {
			break
		}
		if e.Tag == dwarf.TagSubprogram {
			in = e.Val(dwarf.AttrName) == fn
		}
		if !in || e.Tag != dwarf.TagFormalParameter {
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		switch loc := e.AttrField(dwarf.AttrLocation); {
		case loc == nil:
		case loc.Class == dwarf.ClassExprLoc:
			b, _ := loc.Val.([]byte)
			out[name] = len(b) > 0 && (b[0] == 0x91 || b[0] == 0x9c) // DW_OP_fbreg, DW_OP_call_frame_cfa
		case loc.Class == dwarf.ClassLocListPtr:
			// The list's entry from the function's start (offset 0 from
			// its base address) says where the value is at the entry.
			off, _ := loc.Val.(int64)
			at := bytes.Index(dump, []byte(fmt.Sprintf("\n    %08x ", off)))
			if at < 0 {
				t.Fatalf("%s: no location list at 0x%x in readelf's dump", name, off)
			}
			for _, l := range strings.Split(string(dump[at+1:]), "\n") {
				fs := strings.Fields(l)
				if len(fs) < 2 || fs[1] == "<End" {
					break
				}
				if len(fs) >= 4 && fs[1] == "0000000000000000" && fs[2] != "(index" {
					out[name] = cfa.MatchString(strings.Join(fs[3:], " "))
					break
				}
			}
		}
	}
	return out
}
