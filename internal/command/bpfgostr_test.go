package command

import (
	"fmt"
	"sort"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestBPFGoStringBytes: on the host's BPF runtime a Go string prints raw
// from one read when it holds no NUL and has at most 55 bytes, and from
// its words otherwise (templates/bpf.stp.tmpl, bytes.scan; event/rawgo.go).
// Either way every byte the program passed comes back (NULs anywhere,
// 0x1c-0x1f, newlines, a record's magic, bytes that are not UTF-8), with
// its length, up to the bound (64 bytes, or --strlen) and marked truncated
// past it.
func TestBPFGoStringBytes(t *testing.T) {
	host := labStap(t, lab.HostBPF)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	for _, strlen := range []int{0, 9} {
		t.Run(fmt.Sprintf("strlen=%d", strlen), func(t *testing.T) {
			args := []string{"run", "--stap", host, "--runtime", "bpf", "-c", bin + " -strs", "--format", "json"}
			bound := 64
			if strlen > 0 {
				args, bound = append(args, "--strlen", fmt.Sprint(strlen)), strlen
			}
			out, errs, code := stapgen(t, append(args, bin, "main.Str")...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errs)
			}
			calls := said(t, errs, "CALL")["main.Str"]
			evs := parseEvents(t, out)
			if len(calls) < 20 || len(evs) != len(calls) {
				t.Fatalf("%d events for %d calls\n%s\n%s", len(evs), len(calls), out, errs)
			}
			// A goroutine that moves to another CPU has its records read
			// from another perf buffer: time orders them.
			sort.SliceStable(evs, func(i, j int) bool { return evs[i]["time_ns"].(float64) < evs[j]["time_ns"].(float64) })
			for i, c := range calls {
				full := c["s"]
				got, trunc := evs[i].text(t, "s")
				want := full[:min(len(full), bound)]
				if got != want || trunc != (len(full) > bound) {
					t.Errorf("call %d: s = %q (truncated=%v), the program passed %q (%d bytes, bound %d)", i, got, trunc, full, len(full), bound)
				}
				if n, _ := evs[i].field("s")["len"].(float64); int(n) != len(full) {
					t.Errorf("call %d: len = %v, the program passed %d bytes", i, evs[i].field("s")["len"], len(full))
				}
			}
		})
	}
}
