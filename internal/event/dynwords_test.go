package event

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"

	"github.com/stapgen/stapgen/internal/goruntime"
)

// TestDynWords: a dynw token decodes to the descriptor's link-time address
// (the bias taken off, a nil interface kept nil), and once named prints as
// the program's %v would for the kinds a word holds: Go's own
// syscall.Errno text, a signed value sign-extended from its size, an
// unsigned one cut to it; a pointer type shows its data word.
func TestDynWords(t *testing.T) {
	errno := DynType{Name: "syscall.Errno", Kind: goruntime.KindUintptr, Size: 8}
	for _, tc := range []struct {
		tok      string
		typ      DynType
		typeWord uint64
		text     string
		json     []string
	}{
		{"0x0/0x0/0x0", errno, 0, "<nil>", []string{`"go_type":null`}},
		{"0x0/0x0/0x0/0x55550000", errno, 0, "<nil>", nil},
		{"0x4d2c38/0x5a1b20/0x2", errno, 0x4d2c38, syscall.ENOENT.Error(), []string{`"go_type":"syscall.Errno"`, `"errno":"ENOENT"`, `"parts":[2]`}},
		{"0x555555a22c38/0x5a1b20/0x1/0x555555554000", errno, 0x4cec38, syscall.EPERM.Error(), []string{`"type_word":"0x4cec38"`}},
		{"0x4d2c38/0xc000010000/0xfffffffffffffff6", DynType{Name: "main.Level", Kind: goruntime.KindInt + 2, Size: 2}, 0x4d2c38, "-10", nil},
		{"0x4d2c38/0xc000010000/0x1fffe", DynType{Name: "main.Small", Kind: goruntime.KindUint + 2, Size: 2}, 0x4d2c38, "65534", nil},
		{"0x4d2c38/0xc000010000/0x1", DynType{Name: "bool", Kind: goruntime.KindBool, Size: 1}, 0x4d2c38, "true", nil},
		{"0x4d2c38/0xc000010000/0x3ff8000000000000", DynType{Name: "float64", Kind: goruntime.KindFloat64, Size: 8}, 0x4d2c38, "1.5", nil},
		{"0x4d2c38/0xc000010000/0xc00001c030", DynType{Name: "*errors.errorString", Kind: goruntime.KindPointer, Size: 8, Direct: true}, 0x4d2c38, "<*errors.errorString 0xc000010000>", []string{`"data_word":"0xc000010000"`}},
	} {
		v, err := decodeValue(&FieldSchema{Name: "err", Type: "error", Enc: EncDynWords}, []byte(tc.tok))
		if err != nil {
			t.Errorf("%s: %v", tc.tok, err)
			continue
		}
		if v.Go.TypeWord != tc.typeWord {
			t.Errorf("%s: type word %#x, want %#x", tc.tok, v.Go.TypeWord, tc.typeWord)
		}
		if tc.typeWord != 0 && (!v.Go.TypeUnread || !strings.Contains(string(v.AppendJSON(nil)), `"go_type_unreadable":true`)) {
			t.Errorf("%s: before naming: %+v %s", tc.tok, v.Go, v.AppendJSON(nil))
		}
		v.NameWords(tc.typ)
		if got := string(v.AppendText(nil)); got != tc.text {
			t.Errorf("%s as %s: %q, want %q", tc.tok, tc.typ.Name, got, tc.text)
		}
		js := v.AppendJSON(nil)
		if !json.Valid(js) {
			t.Errorf("%s: invalid JSON %s", tc.tok, js)
		}
		for _, w := range tc.json {
			if !strings.Contains(string(js), w) {
				t.Errorf("%s: JSON %s lacks %s", tc.tok, js, w)
			}
		}
	}
	for _, bad := range []string{"", "0x1/0x2", "0x1/0x2/0x3/0x4/0x5", "0x1/zz/0x3", "0x1//0x3"} {
		if _, err := decodeValue(&FieldSchema{Name: "err", Enc: EncDynWords}, []byte(bad)); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

// FuzzDynWords: no token, named as any type, panics or writes invalid
// JSON.
func FuzzDynWords(f *testing.F) {
	f.Add([]byte("0x4d2c38/0x5a1b20/0x2"), uint8(goruntime.KindUintptr), uint64(8), false)
	f.Add([]byte("0x555555a22c38/0x5a1b20/0x1/0x555555554000"), uint8(goruntime.KindInt), uint64(3), false)
	f.Add([]byte("0x1/0x2/0x3"), uint8(goruntime.KindPointer), uint64(8), true)
	f.Fuzz(func(t *testing.T, tok []byte, kind uint8, size uint64, direct bool) {
		v, err := decodeValue(&FieldSchema{Name: "err", Enc: EncDynWords}, tok)
		if err != nil {
			return
		}
		v.NameWords(DynType{Name: "T", Kind: kind, Size: size, Direct: direct})
		_ = v.AppendText(nil)
		if b := v.AppendJSON(nil); !json.Valid(b) {
			t.Fatalf("invalid JSON %s", b)
		}
	})
}
