package event

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestRawStrings: BPF C strings printed raw (%s and a NUL after 0x1d,
// first in their piece or inside the record's joined one) decode to the same events as their hex tokens, whatever
// bytes they hold and however the input is split; a string as long as its
// bound is marked truncated; 0x1d elsewhere is data.
func TestRawStrings(t *testing.T) {
	s := *schema
	s.Chunked = true
	strs := []string{"plain", "", "a\x1eb\x1fc\nd\x1d:9:e", "@@sg1 0 1 2 3 4 - x", "\xff\xfe \"q\"", "abcdefgh"}
	var in, joined []byte
	var plain strings.Builder
	for i, str := range strs {
		cpu := []string{"0", "1", "12"}[i%3]
		in = append(in, chunked(cpu, "@@sg1 0 100 0 10 10 -")[0]...)
		in = append(in, "\x1f"+cpu+"|\x1d:8:"+str+"\x00\n\x1e"...)
		// The record's one print: the string inside the head's piece.
		joined = append(joined, "\x1f"+cpu+"|@@sg1 0 100 0 10 10 -\x1d:8:"+str+"\x00\n\x1e"...)
		tok := "?:" + hex.EncodeToString([]byte(str))
		if len(str) < 8 {
			tok += "00"
		}
		plain.WriteString("@@sg1 0 100 0 10 10 - " + tok + "\n")
	}
	want := decodeAllJSON(t, []byte(plain.String()), schema)
	for name, r := range map[string]func() io.Reader{
		"whole":           func() io.Reader { return bytes.NewReader(in) },
		"one byte":        func() io.Reader { return iotest.OneByteReader(bytes.NewReader(in)) },
		"joined":          func() io.Reader { return bytes.NewReader(joined) },
		"joined one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(joined)) },
	} {
		got := decodeReaderJSON(t, r(), &s)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n%s\nwant:\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	evs := decodeFrom(t, bytes.NewReader(in), &s)
	if len(evs) != len(strs) {
		t.Fatalf("%d events", len(evs))
	}
	for i, e := range evs {
		v := e.Fields[0]
		if string(v.Bytes) != strs[i] || v.Truncated != (len(strs[i]) >= 8) {
			t.Errorf("%q: %q truncated=%v", strs[i], v.Bytes, v.Truncated)
		}
	}
	for _, data := range []string{"x\x1d:3:ab\x00\n", "\x1f0|@@sg1 0 1 0 1 1 - 3:\x1d6162\x1e\x1f0|\n\x1e"} {
		got := decodeAllJSON(t, []byte(data), &s)
		if len(got) != 1 || !strings.Contains(got[0], `\u001d`) {
			t.Errorf("%q: %q", data, got)
		}
	}
}

// TestRawStringNonEmpty: a raw piece marked "!" after 0x1d (the script
// read the string's first byte, so it is not empty) with no bytes is a
// read that faulted, unreadable; with bytes it is the string.
func TestRawStringNonEmpty(t *testing.T) {
	s := *schema
	s.Chunked = true
	var in []byte
	for _, str := range []string{"", "ab", "a\x1d!:8:b"} {
		in = append(in, chunked("0", "@@sg1 0 100 0 10 10 -")[0]...)
		in = append(in, "\x1f0|\x1d!:8:"+str+"\x00\n\x1e"...)
	}
	d := NewDecoder(iotest.OneByteReader(bytes.NewReader(in)), &s)
	var got []string
	for e, err := d.Next(); err == nil; e, err = d.Next() {
		if f := e.Fields[0]; f.Missing {
			got = append(got, "!")
		} else {
			got = append(got, string(f.Bytes))
		}
	}
	if want := "! ab a\x1d!:8:b"; strings.Join(got, " ") != want {
		t.Errorf("decoded %q, want %q", strings.Join(got, " "), want)
	}
}

// onceReader returns its bytes, then fails the test if read again: a live
// run's record must decode before stap prints the next.
type onceReader struct {
	t    *testing.T
	b    []byte
	done bool
}

func (o *onceReader) Read(p []byte) (int, error) {
	if o.done {
		o.t.Fatal("the decoder asked for input past a whole record")
	}
	o.done = true
	return copy(p, o.b), nil
}

func TestRawStringsNeedNoMoreInput(t *testing.T) {
	s := *schema
	s.Chunked = true
	in := append(chunked("0", "@@sg1 0 100 0 10 10 -")[0], "\x1f0|\x1d:8:ab\x00\n\x1e"...)
	e, err := NewDecoder(&onceReader{t: t, b: in}, &s).Next()
	if err != nil || string(e.Fields[0].Bytes) != "ab" {
		t.Fatalf("%v %+v", err, e)
	}
}

// TestKernelRawStrings: the kernel runtime's raw C strings (0x1d ":" BOUND
// ":" BYTES NUL in the token's place, no piece tag) decode to the same
// events as their hex tokens, whatever bytes they hold (newlines, the
// chunk bytes, a fake record) and however the input is split; a string as
// long as its bound is marked truncated; 0x1d elsewhere is data.
func TestKernelRawStrings(t *testing.T) {
	raw := *schema
	raw.RawStrings = true
	strs := []string{"plain", "", "a\x1eb\x1fc\nd\x1d:9:e", "x\n@@sg1 0 1 2 3 4 - 1:61\n", "\xff\xfe \"q\"", "abcdefgh"}
	var in []byte
	var plain strings.Builder
	for _, str := range strs {
		in = append(in, "@@sg1 0 100 0 10 10 -\x1d:8:"+str+"\x00\n"...)
		tok := "?:" + hex.EncodeToString([]byte(str))
		if len(str) < 8 {
			tok += "00"
		}
		plain.WriteString("@@sg1 0 100 0 10 10 - " + tok + "\n")
	}
	want := decodeAllJSON(t, []byte(plain.String()), schema)
	for name, r := range map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(in) },
		"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(in)) },
	} {
		got := decodeReaderJSON(t, r(), &raw)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n%s\nwant:\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	d := NewDecoder(bytes.NewReader(in), &raw)
	var n int
	for e, err := d.Next(); err == nil; e, err = d.Next() {
		v := e.Fields[0]
		if n >= len(strs) || string(v.Bytes) != strs[n] || v.Truncated != (len(strs[n]) >= 8) {
			t.Errorf("event %d: %q truncated=%v", n, v.Bytes, v.Truncated)
		}
		n++
	}
	if n != len(strs) {
		t.Fatalf("%d events, want %d", n, len(strs))
	}
	// Not a raw string, or one outside a record (the traced program's
	// output): passed through as it came.
	for _, data := range []string{"x\x1d:3:ab\n", "x\x1dy\n", "@@sg1 0 1 0 1 1 - 3:\x1d6162\n", "x\x1d:3:ab\x00\n", "@@sg2 \x1d:3:ab\x00\n", "@@sg\x1d:3:ab\x00\n"} {
		got := decodeAllJSON(t, []byte(data), &raw)
		if len(got) != 1 || !strings.Contains(got[0], `\u001d`) {
			t.Errorf("%q: %q", data, got)
		}
	}
	// A schema without RawStrings (a script from before them) reads
	// 0x1d as data.
	if got := decodeAllJSON(t, []byte("@@sg1 0 100 0 10 10 -\x1d:8:ab\x00\n"), schema); len(got) != 1 || !strings.Contains(got[0], `\u001d`) {
		t.Errorf("without RawStrings: %q", got)
	}
	e, err := NewDecoder(&onceReader{t: t, b: []byte("@@sg1 0 100 0 10 10 -\x1d:8:ab\x00\n")}, &raw).Next()
	if err != nil || string(e.Fields[0].Bytes) != "ab" {
		t.Fatalf("live record: %v %+v", err, e)
	}
}

// decodeReaderJSON decodes all of r's events, each as its JSON (the
// decoder does not reuse memory: events kept stay as they were).
func decodeReaderJSON(t *testing.T, r io.Reader, s *Schema) []string {
	t.Helper()
	var got []string
	for _, e := range decodeFrom(t, r, s) {
		b, _ := json.Marshal(e)
		got = append(got, string(b))
	}
	return got
}

// TestRawStringReadPastBound: a bound followed by "+" says the read took
// one byte past it, so a string exactly as long as the bound is whole and
// only a longer one is cut to the bound and marked truncated; without the
// "+" (scripts before it) a string as long as its bound is truncated. Both
// runtimes' forms: the BPF piece and the kernel runtime's untagged record.
func TestRawStringReadPastBound(t *testing.T) {
	for _, tc := range []struct {
		head, str string
		want      string
		trunc     bool
	}{
		{"8+", "abcdefg", "abcdefg", false},
		{"8+", "abcdefgh", "abcdefgh", false},
		{"8+", "abcdefghi", "abcdefgh", true},
		{"8+", "", "", false},
		{"8", "abcdefgh", "abcdefgh", true},
		{"8", "abcdefg", "abcdefg", false},
		{"!:8+", "abcdefghi", "abcdefgh", true},
	} {
		bpf := *schema
		bpf.Chunked = true
		kern := *schema
		kern.RawStrings = true
		raw := tc.head + ":" + tc.str + "\x00\n"
		if !strings.HasPrefix(raw, "!") {
			raw = ":" + raw
		}
		for name, in := range map[string]struct {
			s    *Schema
			data string
		}{
			"bpf":    {&bpf, string(chunked("3", "@@sg1 0 100 0 10 10 -")[0]) + "\x1f3|\x1d" + raw + "\x1e"},
			"kernel": {&kern, "@@sg1 0 100 0 10 10 -\x1d" + raw},
		} {
			d := NewDecoder(strings.NewReader(in.data), in.s)
			e, err := d.Next()
			if err != nil {
				t.Fatalf("%s %q: %v", name, in.data, err)
			}
			v := e.Fields[0]
			if string(v.Bytes) != tc.want || v.Truncated != tc.trunc {
				t.Errorf("%s %q: %q truncated=%v, want %q truncated=%v", name, in.data, v.Bytes, v.Truncated, tc.want, tc.trunc)
			}
		}
	}
}
