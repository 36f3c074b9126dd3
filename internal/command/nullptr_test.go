package command

import (
	"fmt"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestBPFNullPointerMembersOnHostBPF: on stap 4.8's BPF runtime, whose
// reads give 0 behind a NULL pointer, the members of a C function's
// NULL result are marked missing (the kernel runtime's reads fault
// there); the others are what ffix printed for the call (id 0 before,
// and its name missing only by its own NULL test).
func TestBPFNullPointerMembersOnHostBPF(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	for _, v := range []testenv.CVariant{testenv.CO2, testenv.CO0} {
		t.Run(string(v), func(t *testing.T) {
			bin := testenv.CProgram(t, "ffix", v)
			out, errs, code := stapgen(t, "run", "--stap", host, "--runtime", "bpf", "-c", fmt.Sprintf("%s %d", bin, ffixLoops), "--format", "json",
				"--return", "--entry=false", "--fields", "return->id,return->name", bin, "f_find")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errs)
			}
			calls, got := said(t, errs, "CALL")["f_find"], byTime(t, out, "f_find", "return")
			if len(got) != len(calls) || len(calls) != ffixLoops {
				t.Fatalf("%d returns for %d calls\n%s", len(got), len(calls), out)
			}
			nulls := 0
			for i, c := range calls {
				isNull := c["ret"] == "null"
				if isNull {
					nulls++
				}
				for _, name := range []string{"return.id", "return.name"} {
					if m := missing(got[i], name); m != isNull {
						t.Errorf("seq=%s ret=%s: %s missing=%v, want %v\n%v", c["seq"], c["ret"], name, m, isNull, got[i])
					}
				}
				if !isNull && (val(got[i], "return.id") != c["id"] || val(got[i], "return.name") != c["name"]) {
					t.Errorf("seq=%s: id=%s name=%s, the fixture printed id=%s name=%s", c["seq"], val(got[i], "return.id"), val(got[i], "return.name"), c["id"], c["name"])
				}
			}
			if nulls == 0 || nulls == len(calls) {
				t.Fatalf("%d NULL results of %d: the run tells nothing", nulls, len(calls))
			}
		})
	}
}
