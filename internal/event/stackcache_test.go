package event

import (
	"bytes"
	"strings"
	"testing"
)

// TestStackCache: backtraces repeated, alternated, empty and unread
// decode, in records after one another, as each does alone.
func TestStackCache(t *testing.T) {
	fs := FieldSchema{Name: "kernel_stack", Enc: EncStack, Type: "stack"}
	s := &Schema{Version: 1, Probes: []ProbeSchema{{Function: "f", Site: SiteEntry, Fields: []FieldSchema{fs, {Name: "n", Enc: EncInt, Type: "int"}}}}}
	toks := []string{
		"0xffffffff81234567:do_sys_openat2,0xffffffff81c00126:entry_SYSCALL_64,",
		"0xffffffff81234567:do_sys_openat2,0xffffffff81c00126:entry_SYSCALL_64,",
		"0x4a1260,0x4a15c5",
		"0x4a1260,0x4a15c5",
		"-", "-",
		"0xffffffff81234567:do_sys_openat2,0xffffffff81c00126:entry_SYSCALL_64,",
		"!", "!",
		"0xffffffff81234567:0xffffffff81234567,0x1:x",
		"0xffffffff81234567:0xffffffff81234567,0x1:x",
		"0xzz", "0xzz",
		"0xffffffff81234567:do_sys_openat2,0xffffffff81c00126:entry_SYSCALL_64,",
	}
	var in strings.Builder
	for i, tok := range toks {
		in.WriteString("@@sg1 0 1 1 1 1 - " + tok + " " + strings.Repeat("7", i+1) + "\n")
	}
	for _, reuse := range []bool{false, true} {
		d := NewDecoder(strings.NewReader(in.String()), s)
		if reuse {
			d.Reuse()
		}
		for i, tok := range toks {
			e, err := d.Next()
			if err != nil {
				t.Fatal(err)
			}
			want, werr := decodeValue(&fs, []byte(tok))
			if werr != nil {
				if e.Err == "" {
					t.Fatalf("record %d (%s): decoded, alone it fails: %v", i, tok, werr)
				}
				continue
			}
			if e.Err != "" {
				t.Fatalf("record %d (%s): %s", i, tok, e.Err)
			}
			got := e.Fields[0]
			if g, w := got.AppendJSON(nil), want.AppendJSON(nil); !bytes.Equal(g, w) || (got.Stack == nil) != (want.Stack == nil) || (got.Frames == nil) != (want.Frames == nil) {
				t.Fatalf("reuse %v, record %d (%s): %s, alone %s", reuse, i, tok, g, w)
			}
		}
	}
}

// fuzzLinesAlone: a reusing decoder's events are those of each line
// decoded by a decoder of its own, which has no backtrace of an earlier
// record to reuse. Statistics snapshots span lines, so input holding
// them is left to the other checks.
func fuzzLinesAlone(t *testing.T, in []byte, s *Schema) {
	t.Helper()
	if bytes.Contains(in, aggMagic) || bytes.IndexByte(in, '\r') >= 0 {
		return
	}
	d := NewDecoder(bytes.NewReader(in), s)
	d.Reuse()
	got := appendJSONLines(t, nil, d)
	var want []byte
	for len(in) > 0 {
		line := in
		if i := bytes.IndexByte(in, '\n'); i >= 0 {
			line, in = in[:i+1], in[i+1:]
		} else {
			in = nil
		}
		want = appendJSONLines(t, want, NewDecoder(bytes.NewReader(line), s))
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("events differ from each line's alone at byte %d:\n%s\n%s", firstDiff(got, want), got, want)
	}
}

// TestStackJSONAfterChange: a repeated backtrace's cached JSON is not
// written for a value changed after decoding (frames named by the
// target's symbols, an address rewritten).
func TestStackJSONAfterChange(t *testing.T) {
	s := &Schema{Version: 1, Probes: []ProbeSchema{{Function: "f", Site: SiteEntry, Fields: []FieldSchema{{Name: "user_stack", Enc: EncStack, Type: "stack"}}}}}
	in := strings.Repeat("@@sg1 0 1 1 1 1 - 0x4a1260,0x4a15c5\n", 5)
	d := NewDecoder(strings.NewReader(in), s)
	d.Reuse()
	changes := []func(v *Value){
		func(v *Value) {},
		func(v *Value) {},
		func(v *Value) { v.Frames = []string{"main.f", ""} },
		func(v *Value) { v.Stack[1] = 0x10 },
		func(v *Value) {},
	}
	wants := []string{
		`"value":["0x4a1260","0x4a15c5"]}`,
		`"value":["0x4a1260","0x4a15c5"]}`,
		`"value":["0x4a1260","0x4a15c5"],"frames":["main.f",null]}`,
		`"value":["0x4a1260","0x10"]}`,
		`"value":["0x4a1260","0x4a15c5"]}`,
	}
	for i, change := range changes {
		e, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		change(&e.Fields[0])
		if got := string(e.AppendJSON(nil)); !strings.HasSuffix(got, wants[i]+"}}") {
			t.Errorf("record %d: %s, want it to end %s}}", i, got, wants[i])
		}
	}
}
