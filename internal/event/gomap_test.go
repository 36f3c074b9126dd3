package event

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestMapToken: map tokens decode to what fmt's %v prints for the same
// map (computed by fmt), whatever order the runtime kept the entries in;
// a map with more entries than were read says so.
func TestMapToken(t *testing.T) {
	for _, c := range []struct {
		tok  string
		want any
	}{
		{"0:", map[string]int{}},
		{"3:s3:626565=i-2,s0:=i3,s1:61=i1", map[string]int{"a": 1, "bee": -2, "": 3}},
		{"2:i7=s5:736576656e,i-1=s9:6d696e7573206f6e65", map[int]string{7: "seven", -1: "minus one"}},
		{"2:u65535=b0,u1=b1", map[uint16]bool{1: true, 65535: false}},
	} {
		v, err := decodeValue(&FieldSchema{Name: "m", Enc: EncMap}, []byte(c.tok))
		if err != nil {
			t.Errorf("%s: %v", c.tok, err)
			continue
		}
		if got, want := v.String(), fmt.Sprint(c.want); got != want {
			t.Errorf("%s: %s, fmt says %s", c.tok, got, want)
		}
		if !json.Valid(v.AppendJSON(nil)) {
			t.Errorf("%s: invalid JSON %s", c.tok, v.AppendJSON(nil))
		}
	}
	v, err := decodeValue(&FieldSchema{Name: "m", Enc: EncMap}, []byte("100:i7=s1:31,i14=s"))
	if err != nil || !v.Truncated || v.String() != "map[7:1 …]" {
		t.Errorf("cut short: %v %q truncated=%v", err, v.String(), v.Truncated)
	}
}

// FuzzMap: no map token makes the decoder panic or write invalid JSON.
func FuzzMap(f *testing.F) {
	f.Add([]byte("3:s3:626565=i-2,s0:=i3,s1:61=i1"))
	f.Add([]byte("2:u65535=b0,u1=b1"))
	f.Add([]byte("100:i7=s1:31,i14=s"))
	f.Fuzz(func(t *testing.T, tok []byte) {
		v, err := decodeValue(&FieldSchema{Name: "m", Enc: EncMap}, tok)
		if err != nil {
			return
		}
		_ = v.String()
		if !json.Valid(v.AppendJSON(nil)) {
			t.Fatalf("invalid JSON %s", v.AppendJSON(nil))
		}
	})
}
