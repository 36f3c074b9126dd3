package event

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// goStringPrints is what the BPF script prints for a record holding the Go
// string s (templates/bpf.stp.tmpl, bytes.scan and bytes.words), bound 63
// raw and 64 in words, on cpu: the words (when s holds a NUL in its first
// 64 bytes or is longer than 63) and the record's piece. The words past
// the string's end read as 0xee, as the memory after a string may.
func goStringPrints(cpu, s string) (words, record []byte) {
	m := min(len(s), 64)
	if strings.IndexByte(s[:m], 0) < 0 && m <= 63 {
		return nil, []byte(fmt.Sprintf("\x1f%s|@@sg1 0 100 0 10 10 - \x1dg:63:%d:%s\n\x1e", cpu, len(s), s[:m]))
	}
	for k := 0; k < m; k += 8 {
		var w [8]byte
		for i := range w {
			w[i] = 0xee
		}
		copy(w[:], s[k:min(len(s), k+8)])
		mark := "+"
		if k == 0 {
			mark = "="
		}
		words = fmt.Appendf(words, "\x1f%s|\x1c%s%016x\x1e", cpu, mark, binary.LittleEndian.Uint64(w[:]))
	}
	return words, []byte(fmt.Sprintf("\x1f%s|@@sg1 0 100 0 10 10 - \x1dg:63:%d:\n\x1e", cpu, -1-len(s)))
}

// TestRawGoStrings: BPF Go strings printed raw or as words (whose pieces
// another CPU's print may split from the record) decode to the bytes the
// program had, whatever they hold and however the input is split, up to
// 64 bytes and marked truncated past them; words no string asks for are
// dropped, a string whose words did not come has no bytes and is marked
// truncated, and 0x1d "g:" outside a piece is data.
func TestRawGoStrings(t *testing.T) {
	s := *schema
	s.Chunked = true
	fill := func(n int, nul ...int) string {
		b := []byte(strings.Repeat("abcdefghijklmnopqrstuvwxyz", 3)[:n])
		for _, i := range nul {
			b[i] = 0
		}
		return string(b)
	}
	strs := []string{"", "x", "\x00", fill(7), fill(8), fill(9), fill(54), fill(55), fill(56), fill(63), fill(64), fill(65), fill(78),
		"ab\x00cd", fill(9, 8), fill(64, 63), fill(78, 70), fill(78, 2), "\x1c\x1d\x1e\x1f|\x1f0|\x1dg:5:3:", "a\nb\n@@sg1 0 1 2 3 4 - 5:\n", "\xff\x00\xfe"}
	var in []byte
	for i, str := range strs {
		cpu := []string{"0", "1", "12"}[i%3]
		words, rec := goStringPrints(cpu, str)
		in = append(in, words...)
		in = append(in, "\x1f3|\x1cword of a record filtered out\x1e\x1f3|\x1c=6162636465666768\x1e"...)
		in = append(in, rec...)
	}
	for name, r := range map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(in) },
		"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(in)) },
	} {
		evs := decodeFrom(t, r(), &s)
		if len(evs) != len(strs) {
			t.Fatalf("%s: %d events for %d strings: %v", name, len(evs), len(strs), evs)
		}
		for i, e := range evs {
			v := e.Fields[0]
			want := strs[i][:min(len(strs[i]), 64)]
			if e.Err != "" || string(v.Bytes) != want || v.Len != int64(len(strs[i])) || v.Truncated != (len(strs[i]) > 64) {
				t.Errorf("%s: %q: %q len %d truncated=%v %s", name, strs[i], v.Bytes, v.Len, v.Truncated, e.Err)
			}
		}
	}
	// No words came for it: no bytes, truncated.
	d := NewDecoder(strings.NewReader("\x1f0|@@sg1 0 1 0 1 1 - \x1dg:55:-6:\n\x1e"), &s)
	e, err := d.Next()
	if v := e.Fields; err != nil || len(v) != 1 || len(v[0].Bytes) != 0 || v[0].Len != 5 || !v[0].Truncated {
		t.Errorf("a string without its words: %v %v", e, err)
	}
	for _, data := range []string{"x\x1dg:3:2:ab\n", "\x1f0|@@sg1 0 1 0 1 1 - 3:\x1e\x1dg:55:2:ab\x1f0|\n\x1e"} {
		got := decodeAllJSON(t, []byte(data), &s)
		if len(got) == 0 || !strings.Contains(strings.Join(got, ""), `\u001dg:`) {
			t.Errorf("%q: %q", data, got)
		}
	}
}

// kernelGoString is the kernel runtime's record of the Go string s printed
// raw (templates/kernel.stp.tmpl, part.Bytes), bound 16, the int 7 after it
// (kernelGoSchema).
func kernelGoString(s string) []byte {
	return fmt.Appendf(nil, "@@sg1 0 100 0 10 10 - \x1dg:16:%d:%s 7\n", len(s), s[:min(len(s), 16)])
}

var kernelGoSchema = Schema{Version: 1, RawStrings: true, Probes: []ProbeSchema{{Function: "f", Site: "entry",
	Fields: []FieldSchema{{Name: "s", Enc: "str", Max: 16}, {Name: "n", Enc: "int"}}}}}

// TestKernelRawGoStrings: the kernel runtime's raw Go strings (no piece
// tag, exactly min(LEN, BOUND) bytes) decode to the same events as their
// hex tokens, whatever bytes they hold and however the input is split,
// truncated past the bound; 0x1d "g:" outside a record is data.
func TestKernelRawGoStrings(t *testing.T) {
	s := kernelGoSchema
	strs := []string{"x", "\x00", "ab\x00cd", strings.Repeat("q", 16), strings.Repeat("r", 17), "\x1c\x1d\x1e\x1f|\x1f0|\x1dg:5:3:\x1d:3:",
		"a\nb\n@@sg1 0 1 2 3 4 - 5:\n", "\xff\x00\xfe", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"}
	var in, plain []byte
	for _, str := range strs {
		in = append(in, kernelGoString(str)...)
		plain = fmt.Appendf(plain, "@@sg1 0 100 0 10 10 - %d:%x 7\n", len(str), str[:min(len(str), 16)])
	}
	want := decodeAllJSON(t, plain, &s)
	for name, r := range map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(in) },
		"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(in)) },
	} {
		got := decodeReaderJSON(t, r(), &s)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n%s\nwant:\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		for i, e := range decodeFrom(t, r(), &s) {
			if len(e.Fields) != 2 {
				t.Errorf("%s: %q: %+v", name, strs[i], e)
				continue
			}
			v, str := e.Fields[0], strs[i]
			if e.Err != "" || string(v.Bytes) != str[:min(len(str), 16)] || v.Len != int64(len(str)) || v.Truncated != (len(str) > 16) || e.Fields[1].Int != 7 {
				t.Errorf("%s: %q: %q len %d truncated=%v n=%d %s", name, str, v.Bytes, v.Len, v.Truncated, e.Fields[1].Int, e.Err)
			}
		}
	}
	for _, data := range []string{"x\x1dg:3:2:ab\n", "@@sg2 \x1dg:3:2:ab\n"} {
		got := decodeAllJSON(t, []byte(data), &s)
		if len(got) != 1 || !strings.Contains(got[0], `\u001dg:`) {
			t.Errorf("%q: %q", data, got)
		}
	}
}

// decodeFrom decodes all of r's events.
func decodeFrom(t *testing.T, r io.Reader, s *Schema) []Event {
	t.Helper()
	d := NewDecoder(r, s)
	var evs []Event
	for {
		e, err := d.Next()
		if err == io.EOF {
			return evs
		}
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
}

// FuzzRawGoStrings: any input decodes without failing, and a string made
// into the script's prints decodes to its bytes.
func FuzzRawGoStrings(f *testing.F) {
	f.Add([]byte("ab\x00cd"), []byte("\x1f0|@@sg1 0 1 0 1 1 - \x1dg:55:-6:\n\x1e\x1f0|\x1c=00\x1e"))
	f.Add([]byte(strings.Repeat("y", 60)), []byte("\x1f0|@@sg1 0 1 0 1 1 - \x1dg:55:3:a"))
	f.Add([]byte("\x1e\x1f"), []byte("\x1f0|\x1c+6162636465666768\x1e\x1f0|@@sg1 0 1 0 1 1 - \x1dg:9:99999999999:\x1e"))
	s := *schema
	s.Chunked = true
	k := kernelGoSchema
	f.Fuzz(func(t *testing.T, str, in []byte) {
		fuzzDecode(t, in, &s)
		fuzzDecode(t, in, &k)
		if e, err := NewDecoder(bytes.NewReader(kernelGoString(string(str))), &k).Next(); err != nil || e.Err != "" || len(e.Fields) != 2 || !bytes.Equal(e.Fields[0].Bytes, str[:min(len(str), 16)]) || e.Fields[0].Len != int64(len(str)) {
			t.Fatalf("kernel %q: %v %v", str, e, err)
		}
		words, rec := goStringPrints("2", string(str))
		d := NewDecoder(bytes.NewReader(append(words, rec...)), &s)
		e, err := d.Next()
		want := str[:min(len(str), 64)]
		if err != nil || e.Err != "" || len(e.Fields) != 1 || !bytes.Equal(e.Fields[0].Bytes, want) || e.Fields[0].Len != int64(len(str)) {
			t.Fatalf("%q: %v %v", str, e, err)
		}
	})
}
