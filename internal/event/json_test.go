package event

import (
	"encoding/binary"
	"encoding/json"
	"math/rand"
	"strconv"
	"testing"
)

// TestPlainWord: the word test agrees with the byte table for every byte
// value at every place of a word of plain bytes, and on random words.
func TestPlainWord(t *testing.T) {
	check := func(w []byte) {
		want := true
		for _, c := range w {
			want = want && plain[c]
		}
		if got := plainWord(binary.LittleEndian.Uint64(w)); got != want {
			t.Fatalf("plainWord(%q) = %v, the table says %v", w, got, want)
		}
		if load64(string(w), 0) != binary.LittleEndian.Uint64(w) || load64(w, 0) != binary.LittleEndian.Uint64(w) {
			t.Fatalf("load64(%q) is not the little-endian word", w)
		}
	}
	for place := range 8 {
		for c := range 256 {
			for _, fill := range []byte{'a', ' ', '~', '!', '#', '[', ']'} {
				w := []byte{fill, fill, fill, fill, fill, fill, fill, fill}
				w[place] = byte(c)
				check(w)
			}
		}
	}
	r := rand.New(rand.NewSource(1))
	w := make([]byte, 8)
	for range 200000 {
		for k := range w {
			// Mostly plain bytes, so words that pass are tested too.
			w[k] = byte(0x20 + r.Intn(0x60))
			if r.Intn(12) == 0 {
				w[k] = byte(r.Intn(256))
			}
		}
		check(w)
	}
}

// TestJSONStringAsEncodingJSON: strings of plain runs around every byte
// that needs an escape quote as encoding/json reads them back.
func TestJSONStringAsEncodingJSON(t *testing.T) {
	for n := range 20 {
		for _, c := range []byte{'"', '\\', 0, 0x1f, '\t', 0x7f, 'x'} {
			b := make([]byte, 0, 2*n+1)
			for range n {
				b = append(b, 'a')
			}
			b = append(b, c)
			for range n {
				b = append(b, 'b')
			}
			var back string
			if err := json.Unmarshal(appendJSONString(nil, b), &back); err != nil || back != string(b) {
				t.Fatalf("%q quoted as %s, read back as %q (%v)", b, appendJSONString(nil, b), back, err)
			}
		}
	}
}

// TestHexWordAsStrconv: addresses are written as strconv writes them, at
// every digit count, after bytes already in the buffer.
func TestHexWordAsStrconv(t *testing.T) {
	xs := []uint64{0, 1, 0xf, 0x10, 0x4a1260, 0xffffffff81234567, 1<<64 - 1}
	for k := range 64 {
		xs = append(xs, 1<<k, 1<<k-1, 1<<k+1)
	}
	for _, x := range xs {
		want := `ab"0x` + strconv.FormatUint(x, 16) + `"`
		if got := string(appendHexWord([]byte("ab"), x)); got != want {
			t.Errorf("appendHexWord(%#x) = %s, want %s", x, got, want)
		}
	}
}
