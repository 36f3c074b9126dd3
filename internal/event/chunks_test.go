package event

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// chunked splits each record into the pieces stapbpf would print for it,
// tagged with cpu.
func chunked(cpu string, pieces ...string) [][]byte {
	var out [][]byte
	for _, p := range pieces {
		out = append(out, []byte("\x1f"+cpu+"|"+p+"\x1e"))
	}
	return out
}

func decodeAllJSON(t *testing.T, in []byte, s *Schema) []string {
	t.Helper()
	return decodeReaderJSON(t, bytes.NewReader(in), s)
}

// TestChunksInterleaved: two CPUs' prints interleaved piece by piece (as
// stapbpf writes them) decode to the same events as the records written one
// after the other; what a CPU left unfinished at the end is reported.
func TestChunksInterleaved(t *testing.T) {
	s := *schema
	s.Chunked = true
	a := chunked("0", "@@sg1 0 100 0 10 10 -", " 5:68656c6c6f", "\n")
	b := chunked("13", "@@sg1 1 200 13 20 21 -", " 42", "\n")
	var mixed []byte
	for i := range a {
		mixed = append(append(mixed, a[i]...), b[i]...)
	}
	plain := "@@sg1 0 100 0 10 10 - 5:68656c6c6f\n@@sg1 1 200 13 20 21 - 42\n"
	want := decodeAllJSON(t, []byte(plain), schema)
	got := decodeAllJSON(t, mixed, &s)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("interleaved:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// CPU 1 stops mid-record: its piece is delivered as a partial record
	// after CPU 0's whole one.
	cut := append(append(append([]byte{}, a[0]...), chunked("1", "@@sg1 1 300 1 5 5 - 7")[0]...), append(a[1], a[2]...)...)
	got = decodeAllJSON(t, cut, &s)
	if len(got) != 2 || !strings.Contains(got[0], `"probe":"main.Str"`) || !strings.Contains(got[1], `partial record`) {
		t.Errorf("cut run: %q", got)
	}
	// Two CPUs cut at once (stapbpf ending mid-print on both): each is
	// reported partial, not as a malformed record.
	cut = append(append([]byte{}, a[0]...), b[0]...)
	got = decodeAllJSON(t, cut, &s)
	if len(got) != 2 || !strings.Contains(got[0], `partial record`) || !strings.Contains(got[1], `partial record`) {
		t.Errorf("two CPUs cut: %q", got)
	}
	// A handler that stops mid-record (a failed user read under BPF) leaves
	// its CPU's record unterminated; the CPU's next record starts a piece
	// of its own, so the cut one is reported and the next decodes whole.
	cut = append(append(append([]byte{}, a[0]...), a[1]...), append(append(chunked("0", "@@sg1 0 150 0 10 10 -")[0], a[1]...), a[2]...)...)
	got = decodeAllJSON(t, cut, &s)
	if len(got) != 2 || !strings.Contains(got[0], `partial record`) || !strings.Contains(got[0], `"raw":"@@sg1 0 100 0 10 10 - 5:68656c6c6f"`) ||
		!strings.Contains(got[1], `"time_ns":150`) {
		t.Errorf("handler stopped mid-record: %q", got)
	}
	// Untagged text between pieces (a command's output sharing the
	// stream) is its own line, and does not break the record around it.
	mixed = nil
	for i := range a {
		mixed = append(mixed, a[i]...)
		if i == 1 {
			mixed = append(mixed, "CALL f\n"...)
		}
	}
	got = decodeAllJSON(t, mixed, &s)
	// The command's line ends first, so it comes first.
	if len(got) != 2 || got[1] != want[0] || got[0] != `{"raw":"CALL f"}` {
		t.Errorf("with command output: %q", got)
	}
	// A 0x1f that is not followed by a tag is data.
	got = decodeAllJSON(t, []byte("x\x1fy|z\n"), &s)
	if len(got) != 1 || !strings.Contains(got[0], `x\u001fy|z`) {
		t.Errorf("untagged 0x1f: %q", got)
	}
}

// FuzzChunks: any input decodes under the chunked schema without a panic,
// and a CPU that never ends its line cannot make the reader hold more than
// about MaxLine of it.
func FuzzChunks(f *testing.F) {
	f.Add([]byte("\x1f0|@@sg1 0 1 0 1 1 -\x1e\x1f1|@@sg1 1 2 1 2 2 - 9\x1eout\x1f0| 1:61\x1e\x1f1|\n\x1e\x1f0|\n\x1e"))
	f.Add([]byte("\x1f99999999|x\x1f|\x1f7"))
	// Merged BPF prints (script/pieces.go): the head with values, words in
	// groups, the last value with the tail.
	f.Add([]byte("\x1f0|@@sg1 0 1 0 1 1 - 3:w\x1e\x1f1|@@sg1 0 2 1 2 2 - ! 7\n\x1e\x1f0|0000000000636261\x1e\x1f0| 9\n\x1e"))
	f.Add([]byte("\x1f0|@@sg1 0 1 0 1 1 -\x1e\x1f0| ?:w6867666564636261\x1e\x1f0|00000000006a6968\x1e\x1f0| 1\n\x1e"))
	// Raw C strings (rawstr.go): framing bytes inside, a bound reached, a
	// NUL that never comes.
	f.Add([]byte("\x1f0|@@sg1 0 1 0 1 1 -\x1e\x1f0|\x1d:63:a\x1eb\x1f1|\n\x00 7\n\x1e\x1f1|\x1d:2:ab\x00\x1e"))
	f.Add([]byte("\x1f0|\x1d:9999999:\x1f0|\x1d:5:abc"))
	// The head's CPU left to the tag, pid and tid in one number, the
	// string joined to it; and the same forms untagged.
	f.Add([]byte("\x1f3|@@sg1 0 1 - 53021371269187 = -\x1d!:62+:abc\x00 7\n\x1e@@sg1 0 1 - 1 = - 1\n\x1f0|@@sg1 0 1 - -1 = -\x1e"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s := *schema
		s.Chunked = true
		d := NewDecoder(bytes.NewReader(in), &s)
		for i := 0; ; i++ {
			_, err := d.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if i > len(in)+1 {
				t.Fatal("more events than input bytes")
			}
		}
	})
}

// TestWholeRecordNeedsNoMoreInput: a record is returned as soon as its
// last piece has been read, plain or chunked, without waiting for more
// output. stapbpf's last piece of a record is short ("0|\n"), and the
// decoder used to wait for bytes after it, so in a live run the latest
// event showed only when stap printed the next one or exited.
func TestWholeRecordNeedsNoMoreInput(t *testing.T) {
	s := *schema
	s.Chunked = true
	rec := bytes.Join(chunked("0", "@@sg1 1 100 0 10 10 -", " 42", "\n"), nil)
	for _, tc := range []struct {
		name string
		s    *Schema
		in   []byte
	}{{"plain", schema, []byte("@@sg1 1 100 0 10 10 - 42\n")}, {"chunked", &s, rec}} {
		r := &stallReader{data: tc.in}
		e, err := NewDecoder(r, tc.s).Next()
		if err != nil || e.Probe != 1 || e.Fields[0].Int != 42 {
			t.Errorf("%s: %+v, %v", tc.name, e, err)
		}
		if r.stalled {
			t.Errorf("%s: the decoder asked for input past a whole record before returning it", tc.name)
		}
	}
}

// stallReader returns data, then records that more was asked for (where
// a pipe from a live stap would block) and reports the end.
type stallReader struct {
	data    []byte
	stalled bool
}

func (r *stallReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		r.stalled = true
		return 0, io.EOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestBPFHeadFromTag: a BPF head may leave its CPU to its pieces' tag
// ("-") and print the pid and tid as one number, PID<<32|TID ("="); it
// decodes as the head that spells them out. Outside BPF output, or with
// no tag, the short forms are malformed records.
func TestBPFHeadFromTag(t *testing.T) {
	s := *schema
	s.Chunked = true
	packed := "53021371269187" // 12345<<32 | 67
	for _, tc := range []struct {
		name    string
		in      []byte
		s       *Schema
		want    string // the plain record it equals, "" for an error
		wantErr string
	}{
		{"tag CPU, pid and tid apart", bytes.Join(chunked("7", "@@sg1 1 200 - 20 21 - 42\n"), nil), &s, "@@sg1 1 200 7 20 21 - 42\n", ""},
		{"tag CPU, pid and tid packed", bytes.Join(chunked("13", "@@sg1 1 200 - "+packed+" = - 42\n"), nil), &s, "@@sg1 1 200 13 12345 67 - 42\n", ""},
		{"packed, CPU spelt out", bytes.Join(chunked("3", "@@sg1 1 200 3 "+packed+" = - 42\n"), nil), &s, "@@sg1 1 200 3 12345 67 - 42\n", ""},
		{"the head joined across pieces", bytes.Join(chunked("2", "@@sg1 0 100 - "+packed+" = -", " 5:68656c6c6f", "\n"), nil), &s, "@@sg1 0 100 2 12345 67 - 5:68656c6c6f\n", ""},
		{"no tag to take the CPU from", []byte("@@sg1 1 200 - 20 21 - 42\n"), schema, "", "bad record header"},
		{"a packed number that is negative", bytes.Join(chunked("0", "@@sg1 1 200 - -5 = - 42\n"), nil), &s, "", "bad record header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decodeAllJSON(t, tc.in, tc.s)
			if tc.want == "" {
				if len(got) != 1 || !strings.Contains(got[0], tc.wantErr) {
					t.Errorf("got %q, want one error %q", got, tc.wantErr)
				}
				return
			}
			want := decodeAllJSON(t, []byte(tc.want), schema)
			if strings.Join(got, "\n") != strings.Join(want, "\n") || len(want) != 1 || strings.Contains(want[0], "error") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
