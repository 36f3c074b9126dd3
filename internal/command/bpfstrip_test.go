package command

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestBPFStrippedGoArgs: on the host's BPF runtime a stripped Go binary's
// register arguments are read through the DWARF its generated debug file
// describes them with (types from its source): every string main.Str was
// passed in the -strs sequence comes back byte for byte with its length,
// raw or through its words, up to the 64-byte bound; main.Ints' []int and
// main.Bytes' []byte with their lengths (and capacity); and main.Small's
// bool and integers of 1, 2 and 8 bytes, signed and unsigned, are what
// the program printed; and each goroutine's id (checkGoids). Before,
// both printed "!" (no register access), and an entry the runtime
// restarted showed twice (no readable restart point). The same for the
// stripped PIE, whose restart records give the saved PC less the load
// bias (plan.Linked).
func TestBPFStrippedGoArgs(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	src := filepath.Dir(testenv.GoSource("main.go"))
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the debug file is written, not found from another test
	for _, v := range []testenv.GoVariant{testenv.GoDefault, testenv.GoPIE} {
		t.Run(string(v), func(t *testing.T) {
			strippedGoArgsOnBPF(t, host, testenv.GoFixture(t, testenv.Strip(v)), src)
		})
	}
}

func strippedGoArgsOnBPF(t *testing.T, host, bin, src string) {
	t.Run("strings", func(t *testing.T) {
		raw := filepath.Join(t.TempDir(), "raw")
		out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin+" -strs", "--format", "json", "--save", raw, "--source", src, bin, "main.Str")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errs)
		}
		// An entry the runtime restarted (stack growth, the 200-byte
		// string) is dropped through the restart points, whose gp the
		// debug file describes too: one event per call.
		checkStrCalls(t, out, errs, raw, 64, rawOnBPF)
	})

	t.Run("goids", func(t *testing.T) {
		checkGoids(t, host, bin, "--source", src)
	})

	t.Run("slices", func(t *testing.T) {
		out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin, "--format", "json", "--source", src, bin, "main.Ints", "main.Bytes")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errs)
		}
		var ints, bytes jsonEvent
		for _, e := range parseEvents(t, out) {
			switch e.str("probe") {
			case "main.Ints":
				ints = e
			case "main.Bytes":
				bytes = e
			}
		}
		if ints == nil || bytes == nil {
			t.Fatalf("no main.Ints or main.Bytes event\n%s\n%s", out, errs)
		}
		line := callLine(t, errs, "main.Ints")
		if got, want := val(ints, "xs"), between(line, "xs=", " len="); got != want {
			t.Errorf("xs = %s, the program printed %s", got, want)
		}
		if f := ints.field("xs"); fmt.Sprintf("len=%v cap=%v", f["len"], f["cap"]) != "len="+between(line, " len=", " cap=")+" cap="+between(line, " cap=", "") {
			t.Errorf("xs len=%v cap=%v, the program printed %s", f["len"], f["cap"], line)
		}
		call := said(t, errs, "CALL")["main.Bytes"]
		if got, _ := bytes.text(t, "b"); len(call) != 1 || got != call[0]["b"] || fmt.Sprint(bytes.field("b")["len"]) != call[0]["len"] {
			t.Errorf("b = %q len %v, the program passed %v", got, bytes.field("b")["len"], call)
		}
	})

	t.Run("scalars", func(t *testing.T) {
		out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", bin, "--format", "json", "--source", src, bin, "main.Small")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errs)
		}
		calls := said(t, errs, "CALL")["main.Small"]
		var lines []string
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, `"probe":"main.Small"`) {
				lines = append(lines, l)
			}
		}
		if len(calls) != 1 || len(lines) != 1 {
			t.Fatalf("%d events for %d calls\n%s\n%s", len(lines), len(calls), out, errs)
		}
		// The JSON text, not float64: u64 does not fit one.
		for _, name := range []string{"b", "u8", "i16", "u64", "i8"} {
			m := regexp.MustCompile(`"` + name + `":\{"type":"[^"]*","value":([^,}]+)`).FindStringSubmatch(lines[0])
			if m == nil || m[1] != calls[0][name] {
				t.Errorf("%s = %v, the program passed %s\n%s", name, m, calls[0][name], lines[0])
			}
		}
	})
}
