package stap

import (
	"strings"
	"testing"
)

// TestLosses: the loss reports in the wording of stap's runtime (the
// module's transport.c and common_probe_context, stapbpf), whole or cut
// across writes, with other stderr around them.
func TestLosses(t *testing.T) {
	for _, tc := range []struct {
		stderr string
		want   Losses
	}{
		{"", Losses{}},
		{"WARNING: Number of errors: 0, skipped probes: 12\nWARNING: Skipped due to reentrancy: 12\n", Losses{Skipped: 12}},
		{"WARNING: There were 3 transport failures. Try stap -s to increase the buffer size from 16.\n", Losses{Transport: 3}},
		{"WARNING: lost 1401 perf_events on cpu 1\nbpfinterp.cxx:741: printf already started\nWARNING: lost 20 perf_events on cpu 0\n", Losses{Perf: 1421}},
		{"\x1b[01m\x1b[Kwarning:\x1b[m WARNING: Number of errors: 2, skipped probes: 0\n", Losses{Errors: 2}},
		{"semantic error: no match\n" + strings.Repeat("x", 2*maxLine) + " lost 5 perf_events on cpu 0\n", Losses{}},
	} {
		if got := ScanLosses(tc.stderr); got != tc.want {
			t.Errorf("%q: %+v, want %+v", tc.stderr, got, tc.want)
		}
		// The same text written a few bytes at a time, as a pipe delivers it.
		var b boundedBuffer
		for s := tc.stderr; s != ""; {
			n := min(7, len(s))
			b.Write([]byte(s[:n]))
			s = s[n:]
		}
		b.Write([]byte("\n"))
		if got := b.losses.l; got != tc.want {
			t.Errorf("%q in pieces: %+v, want %+v", tc.stderr, got, tc.want)
		}
	}
	if s := (Losses{Skipped: 1, Perf: 2}).String(); s != "1 skipped probes, 2 BPF perf events lost" {
		t.Errorf("String: %q", s)
	}
}

// FuzzLosses: any stderr scans without panicking, and the counts do not
// depend on how the pipe cut it.
func FuzzLosses(f *testing.F) {
	f.Add("WARNING: lost 1401 perf_events on cpu 1\n", 3)
	f.Add("WARNING: Number of errors: 0, skipped probes: 99999999999999999999\n", 1)
	f.Fuzz(func(t *testing.T, s string, cut int) {
		whole := ScanLosses(s)
		var b boundedBuffer
		cut = max(1, cut%64)
		for r := s; r != ""; {
			n := min(cut, len(r))
			b.Write([]byte(r[:n]))
			r = r[n:]
		}
		b.Write([]byte("\n"))
		if b.losses.l != whole {
			t.Errorf("in pieces of %d: %+v, whole: %+v", cut, b.losses.l, whole)
		}
	})
}
