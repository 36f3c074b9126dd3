package event

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"testing"
)

// TestUnhexAsEncodingHex: the word-at-a-time hex decoding accepts exactly
// the digits encoding/hex accepts, at every position of a word and in the
// tail, and decodes them to its bytes (words: each 8 bytes reversed).
func TestUnhexAsEncodingHex(t *testing.T) {
	const digits = "0123456789abcdefABCDEF"
	for _, n := range []int{2, 14, 16, 18, 32, 34, 46} {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				src := make([]byte, n)
				for i := range src {
					src[i] = digits[(i*7+pos)%len(digits)]
				}
				src[pos] = byte(c)
				want, err := hex.DecodeString(string(src))
				got := make([]byte, n/2)
				if ok := unhexBytes(got, src); ok != (err == nil) || ok && !bytes.Equal(got, want) {
					t.Fatalf("unhexBytes(%q) = %x, %v; encoding/hex: %x, %v", src, got, ok, want, err)
				}
				if n%16 != 0 {
					continue
				}
				for w := 0; w+8 <= len(want); w += 8 {
					binary.LittleEndian.PutUint64(want[w:], binary.BigEndian.Uint64(want[w:]))
				}
				if ok := unhexWords(got, src); ok != (err == nil) || ok && !bytes.Equal(got, want) {
					t.Fatalf("unhexWords(%q) = %x, %v; want %x, %v", src, got, ok, want, err)
				}
			}
		}
	}
}

// TestDecimalAsStrconv: the decimal and token scanners agree with strconv,
// bytes.IndexByte and bytes.Fields around the lengths where their fast
// paths end.
func TestDecimalAsStrconv(t *testing.T) {
	for _, s := range []string{"", "0", "7", "-", "-1", "12a", "1 2", "+1",
		"1234567890123456789", "9999999999999999999", "-9999999999999999999",
		"18446744073709551615", "18446744073709551616", "99999999999999999999", "00000000000000000001",
		"9223372036854775807", "-9223372036854775808"} {
		u, err := strconv.ParseUint(s, 10, 64)
		if got, ok := decUint([]byte(s)); ok != (err == nil) || ok && got != u {
			t.Errorf("decUint(%q) = %d, %v; strconv: %d, %v", s, got, ok, u, err)
		}
	}
	for n := 0; n < 40; n++ {
		for pos := -1; pos < n; pos++ {
			b := bytes.Repeat([]byte{0xa0}, n)
			for k := pos; k >= 0 && k < n; k += 5 {
				b[k] = 0x20 // every fifth byte from pos
			}
			if got, want := indexByte(b, 0x20), bytes.IndexByte(b, 0x20); got != want {
				t.Errorf("indexByte(%x, 0x20) = %d, want %d", b, got, want)
			}
		}
	}
	for _, n := range []int{1, 5, 7, 8, 9, 23, 24, 25, 26, 40} {
		tok := bytes.Repeat([]byte("x"), n)
		for _, line := range [][]byte{tok, append(append([]byte{}, tok...), " y"...), append([]byte("  "), tok...)} {
			var got [][]byte
			for b := line; ; {
				var t []byte
				if t, b = nextToken(b); t == nil {
					break
				}
				got = append(got, t)
			}
			if want := bytes.Fields(line); len(got) != len(want) || !bytes.Equal(bytes.Join(got, []byte("|")), bytes.Join(want, []byte("|"))) {
				t.Errorf("tokens of %q: %q, want %q", line, got, want)
			}
		}
	}
}
