package event

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
)

var schema = &Schema{Version: 1, Probes: []ProbeSchema{
	{Function: "main.Str", Site: SiteEntry, Fields: []FieldSchema{{Name: "s", Enc: EncStr, Type: "string"}}},
	{Function: "main.Str", Site: SiteReturn, Fields: []FieldSchema{{Name: "~r0", Enc: EncInt, Type: "int"}}},
	{Function: "mix", Site: SiteEntry, Fields: []FieldSchema{
		{Name: "u", Enc: EncUint}, {Name: "p", Enc: EncPtr}, {Name: "b", Enc: EncBool},
		{Name: "xs", Enc: EncSlice, ElemEnc: EncInt}, {Name: "ss", Enc: EncSlice, ElemEnc: EncStr},
		{Name: "e", Enc: EncIface}, {Name: "bt", Enc: EncStack}}},
	{Function: "typed", Site: SiteReturn, Fields: []FieldSchema{
		{Name: "d", Enc: EncFloat}, {Name: "m", Enc: EncEnum, Enums: []Enumerator{{"A", 1}}}}},
}}

func decodeAll(t *testing.T, in string) []Event {
	t.Helper()
	return decodeFrom(t, strings.NewReader(in), schema)
}

func TestDecodeStrings(t *testing.T) {
	for _, tc := range []struct {
		tok, want string
		trunc     bool
		len       int64
	}{
		{"5:68656c6c6f", "hello", false, 5},
		{"0:", "", false, 0},
		{"300:7878", "xx", true, 300},
		{"8:6e65770a6c696e65", "new\nline", false, 8},
		{"4:fffe007a", "\xff\xfe\x00z", false, 4},
		{"5+:6162636465", "abcde", true, 5},
		{"0+:", "", true, 0},
		{"51+:", "", true, 51},
		{"4:1e1f0a00", "\x1e\x1f\n\x00", false, 4},
		// The BPF runtime's little-endian words, as stap 4.8 printed them.
		{"5:w6c756d6f6c6c6568", "hello", false, 5},
		{"11:w6f77206f6c6c65687869666f67646c72", "hello world", false, 11},
		{"?:w0000006f6c6c6568", "hello", false, 5},
		{"?:w6867666564636261", "abcdefgh", true, 8},
	} {
		evs := decodeAll(t, "@@sg1 0 100 1 10 11 7 "+tc.tok+"\n")
		if len(evs) != 1 || evs[0].Err != "" {
			t.Fatalf("%s: %+v", tc.tok, evs)
		}
		v := evs[0].Fields[0]
		if string(v.Bytes) != tc.want || v.Truncated != tc.trunc || v.Len != tc.len {
			t.Errorf("%s: %q trunc=%v len=%d; want %q %v %d", tc.tok, v.Bytes, v.Truncated, v.Len, tc.want, tc.trunc, tc.len)
		}
	}
}

// TestDecodeBangPrefix: a token starting with "!" is unreadable, as the
// BPF runtime prints a C string whose read faulted ("!" from
// kernel_string, then the empty string's "0:").
func TestDecodeBangPrefix(t *testing.T) {
	evs := decodeAll(t, "@@sg1 0 100 1 10 11 7 !0:\n")
	if len(evs) != 1 || evs[0].Err != "" || !evs[0].Fields[0].Missing {
		t.Fatalf("!0: decoded as %+v, want an unreadable value", evs)
	}
}

func TestDecodeRecordShape(t *testing.T) {
	in := "hello from the program\n" +
		"partial program output@@sg1 1 1795532700597540176 3 99 100 - -5\n" +
		"@@sg1 2 5 0 1 1 - 18446744073709551615 0xc000012345 1 3/4:1,-2,3 2/2:1:61,0: 0x4a3b20/0xc000010000 0xffffffff81000000,0x4a3b20\n" +
		"@@sg1 2 5 0 1 1 - ! ! ! 10/10:1,2 2/2: 0x0/0x0 -\n" +
		"@@sg1 9 1 1 1 1 - x\n" +
		"@@sg1 0 1 1 1 1 - 5:zz\n" +
		"@@sg1 0 1 1 1 1 - 1:61 extra\n" +
		"@@sg1 0 1 1 1 1 - 5:6869"
	evs := decodeAll(t, in)
	if len(evs) != 9 {
		t.Fatalf("%d events: %+v", len(evs), evs)
	}
	if evs[0].Probe != -1 || evs[0].Raw != "hello from the program" {
		t.Errorf("raw: %+v", evs[0])
	}
	if evs[1].Raw != "partial program output" || evs[2].Probe != 1 || evs[2].Goid != -1 || evs[2].Fields[0].Int != -5 || evs[2].Time != 1795532700597540176 {
		t.Errorf("prefixed record: %+v %+v", evs[1], evs[2])
	}
	m := evs[3].Fields
	if m[0].Uint != 1<<64-1 || m[1].Uint != 0xc000012345 || m[2].Int != 1 {
		t.Errorf("scalars: %+v", m[:3])
	}
	if m[3].Len != 3 || m[3].Cap != 4 || len(m[3].Elems) != 3 || m[3].Elems[1].Int != -2 || m[3].Truncated {
		t.Errorf("slice: %+v", m[3])
	}
	if len(m[4].Elems) != 2 || string(m[4].Elems[0].Bytes) != "a" || m[4].Elems[1].Len != 0 {
		t.Errorf("string slice: %+v", m[4])
	}
	if m[5].TypeWord != 0x4a3b20 || m[5].DataWord != 0xc000010000 || len(m[6].Stack) != 2 {
		t.Errorf("iface/stack: %+v %+v", m[5], m[6])
	}
	n := evs[4].Fields
	if !n[0].Missing || !n[3].Truncated || len(n[4].Elems) != 0 || n[5].String() != "nil" || len(n[6].Stack) != 0 {
		t.Errorf("missing/truncated: %+v", n)
	}
	for i, want := range []string{"unknown probe", "s: malformed", "wrong number", "partial record"} {
		if e := evs[5+i]; e.Probe != -1 || !strings.Contains(e.Err, want) || e.Raw == "" {
			t.Errorf("bad record %d: %+v, want error %q", i, e, want)
		}
	}
}

func TestJSON(t *testing.T) {
	evs := decodeAll(t, "@@sg1 0 100 1 10 11 7 4:fffe007a\n@@sg1 0 100 1 10 11 7 300:7878\nnoise\n")
	var got []map[string]any
	for _, e := range evs {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		got = append(got, m)
	}
	s := got[0]["fields"].(map[string]any)["s"].(map[string]any)
	if got[0]["probe"] != "main.Str" || got[0]["goid"] != 7.0 || s["hex"] != "fffe007a" {
		t.Errorf("event 0: %v", got[0])
	}
	s = got[1]["fields"].(map[string]any)["s"].(map[string]any)
	if s["value"] != "xx" || s["truncated"] != true || s["len"] != 300.0 {
		t.Errorf("event 1: %v", got[1])
	}
	if got[2]["raw"] != "noise" {
		t.Errorf("raw: %v", got[2])
	}
}

func TestOverlongLineIsReportedNotBuffered(t *testing.T) {
	in := "@@sg1 0 1 1 1 1 - 1:" + strings.Repeat("61", MaxLine) + "\n@@sg1 1 1 1 1 1 - 3\n"
	evs := decodeAll(t, in)
	if len(evs) != 2 || evs[0].Err == "" || evs[1].Fields[0].Int != 3 {
		t.Fatalf("%d events: %v / %+v", len(evs), evs[0].Err, evs[len(evs)-1])
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("@@sg1 0 100 1 10 11 7 5:68656c6c6f\n"))
	f.Add([]byte("x@@sg1 2 5 0 1 1 - 1 0x1 1 3/4:1,2 1/1:1:61 0x1/0x2 0x1,0x2\n"))
	f.Add([]byte("@@sg1 0 1 1 1 1 - ?:w6867666564636261\n@@sg1 0"))
	f.Add([]byte("@@sg1 3 1 1 1 1 - f7ff8000000000000 1\n@@sg1 3 1 1 1 1 - fc000000000000000 9\n"))
	// The kernel runtime's printf hex dumps: a string cut by an unmapped
	// page, an empty one marked cut, a dump a fault left without bytes.
	f.Add([]byte("@@sg1 0 1 1 1 1 - 10+:65656565656565656565 3\n@@sg1 0 1 1 1 1 - 0+: 4\n@@sg1 0 1 1 1 1 - 51+: 5\n"))
	// Its raw C strings: bytes that hold a newline and a record, one as
	// long as its bound, one without its NUL, a bound too long to be one.
	f.Add([]byte("@@sg1 0 1 1 1 1 -\x1d:8:a\n@@sg1 0 1 1 1 1 - 1\n\x00 3\n@@sg1 0 1 1 1 1 -\x1d:2:ab\x00 4\n"))
	f.Add([]byte("@@sg1 0 1 1 1 1 -\x1d:5:abc\n@@sg1 0 1 1 1 1 -\x1d:9999999:\x00 1\n"))
	f.Add([]byte("@@sg1 0 1 1 1 1 -\x1d:2+:abc\x00 1\n@@sg1 0 1 1 1 1 -\x1d:3+:abc\x00 2\n@@sg1 0 1 1 1 1 -\x1d:+:\x00 3\n"))
	raw := *schema
	raw.RawStrings = true
	// Restart records: an entry held back, then dropped.
	f.Add([]byte("@@sg1 0 1 1 1 7 1 1:61 1 0x1\n@@sg1 1 2 1 1 7 1 0x4a1010\n@@sg1 0 3 1 1 7 1 1:61 1 -\n@@sg1 2 4 1 1 8 1 5\n"))
	// Backtraces repeated, and changed, from record to record.
	f.Add([]byte("@@sg1 2 5 0 1 1 - 1 0x1 1 3/4:1,2 1/1:1:61 0x1/0x2 0x1:a,0x2:b\n@@sg1 2 5 0 1 1 - 1 0x1 1 3/4:1,2 1/1:1:61 0x1/0x2 0x1:a,0x2:b\n" +
		"@@sg1 2 5 0 1 1 - 1 0x1 1 3/4:1,2 1/1:1:61 0x1/0x2 0x1,0x2\n@@sg1 2 5 0 1 1 - 1 0x1 1 3/4:1,2 1/1:1:61 0x1/0x2 -\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzDecode(t, in, schema)
		fuzzDecode(t, in, &raw)
		fuzzDecode(t, in, restartSchema)
		fuzzLinesAlone(t, in, schema)
		for _, s := range []*Schema{schema, restartSchema} {
			fuzzKeptStreamed(t, in, s)
		}
	})
}

// fuzzKeptStreamed: the events of in kept to the end are the events a
// reusing decoder streams.
func fuzzKeptStreamed(t *testing.T, in []byte, s *Schema) {
	t.Helper()
	got := keptJSON(t, NewDecoder(bytes.NewReader(in), s))
	r := NewDecoder(bytes.NewReader(in), s)
	r.Reuse()
	if want := appendJSONLines(t, nil, r); !bytes.Equal(got, want) {
		t.Fatalf("kept events differ from the streamed at byte %d:\n%s\n%s", firstDiff(got, want), got, want)
	}
}

func fuzzDecode(t *testing.T, in []byte, schema *Schema) {
	t.Helper()
	d := NewDecoder(bytes.NewReader(in), schema)
	for i := 0; ; i++ {
		e, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Probe >= 0 && len(e.Fields) != len(schema.Probes[e.Probe].Fields) {
			t.Fatalf("record with %d fields", len(e.Fields))
		}
		if e.Probe < 0 && e.Raw == "" && e.Err == "" {
			t.Fatal("empty non-record event")
		}
		if _, err := json.Marshal(e); err != nil {
			t.Fatal(err)
		}
		_ = e.String()
		if i > len(in)+1 {
			t.Fatal("more events than input bytes")
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	line := "@@sg1 0 1795532700597540176 1 12468 12468 1 11:68656c6c6f20776f726c64\n"
	s := &Schema{Version: 1, Probes: []ProbeSchema{{Function: "f", Fields: []FieldSchema{{Name: "s", Enc: EncStr}}}}}
	s.Probes[0].Fields = append(s.Probes[0].Fields, FieldSchema{Name: "a", Enc: EncInt}, FieldSchema{Name: "b", Enc: EncInt}, FieldSchema{Name: "p", Enc: EncPtr})
	line = strings.TrimSuffix(line, "\n") + " 42 -7 0xc000012345\n"
	data := []byte(strings.Repeat(line, 10000))
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		d := NewDecoder(bytes.NewReader(data), s)
		for {
			_, err := d.Next()
			if err != nil {
				break
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

// TestStackForms: backtraces as stap 4.8 and 5.1 print them (5.1 ends the
// list with a separator), and what is not one.
func TestStackForms(t *testing.T) {
	f := &FieldSchema{Name: "user_stack", Enc: EncStack}
	for _, tc := range []struct {
		in   string
		n    int
		fail bool
	}{
		{"0x5567a3f25460,0x5567a3f251c2", 2, false},
		{"0x5567a3f25460,0x5567a3f251c2,0x7f800a58fca8,", 3, false},
		{"-", 0, false},
		{"0x1,,0x2", 0, true},
		{",", 0, true},
	} {
		v, err := decodeValue(f, []byte(tc.in))
		if (err != nil) != tc.fail || !tc.fail && len(v.Stack) != tc.n {
			t.Errorf("%q: %d frames, err %v", tc.in, len(v.Stack), err)
		}
	}
}

// TestStackNamedByStap: kernel frames come as ADDR:NAME, stap's name for
// each (its hex address when it has none, which names nothing).
func TestStackNamedByStap(t *testing.T) {
	f := &FieldSchema{Name: "kernel_stack", Enc: EncStack}
	for _, tc := range []struct {
		in     string
		stack  []uint64
		frames []string
		fail   bool
	}{
		{"0xffffffffc02053a0:ovl_lookup,0xffffffff81c00126:entry_SYSCALL_64_after_hwframe,",
			[]uint64{0xffffffffc02053a0, 0xffffffff81c00126}, []string{"ovl_lookup", "entry_SYSCALL_64_after_hwframe"}, false},
		{"0x10:0x10,0x20:f.cold", []uint64{0x10, 0x20}, []string{"", "f.cold"}, false},
		{"0x10,0x20:g", []uint64{0x10, 0x20}, []string{"", "g"}, false},
		{"0x10:", []uint64{0x10}, []string{""}, false},
		{"zz:name", nil, nil, true},
		{":name", nil, nil, true},
	} {
		v, err := decodeValue(f, []byte(tc.in))
		if (err != nil) != tc.fail {
			t.Errorf("%q: err %v", tc.in, err)
			continue
		}
		if !tc.fail && (!slices.Equal(v.Stack, tc.stack) || !slices.Equal(v.Frames, tc.frames)) {
			t.Errorf("%q: stack %x frames %q, want %x %q", tc.in, v.Stack, v.Frames, tc.stack, tc.frames)
		}
	}
}
