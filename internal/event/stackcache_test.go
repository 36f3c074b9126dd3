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
