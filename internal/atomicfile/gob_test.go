package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

type rec struct {
	Version int
	Names   map[string][]int
}

// TestReadGob: what WriteGob wrote reads back; a truncated, foreign or
// missing file reads as an error, never a panic.
func TestReadGob(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	want := rec{Version: 3, Names: map[string][]int{"a": {1, 2}}}
	if err := WriteGob(good, 0o600, &want); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		ok   bool
	}{
		{"whole", b, true},
		{"truncated", b[:len(b)/2], false},
		{"foreign", []byte("\x7fELF not a gob stream at all"), false},
		{"empty", nil, false},
	} {
		p := filepath.Join(dir, tc.name)
		os.WriteFile(p, tc.data, 0o600)
		var got rec
		err := ReadGob(p, &got)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.name, err)
		}
		if tc.ok && (got.Version != 3 || len(got.Names["a"]) != 2) {
			t.Errorf("%s: read %+v", tc.name, got)
		}
	}
	if ReadGob(filepath.Join(dir, "missing"), &rec{}) == nil {
		t.Error("a missing file read without error")
	}
}
