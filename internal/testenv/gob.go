package testenv

import (
	"bytes"
	"testing"
)

// GobClaim is a gob stream b in which the one length count of a list or
// map that was count now claims claim, the message holding it resized:
// a damaged cache file whose few changed bytes make gob allocate by the
// claim (a map is sized by it before a single entry is read). count and
// claim must take 3 and 5 bytes (256 to 65535, and 2^24 up).
func GobClaim(t testing.TB, b []byte, count, claim uint64) []byte {
	t.Helper()
	old, repl := gobUint(count), gobUint(claim)
	if len(old) != 3 || len(repl) != 5 {
		t.Fatalf("GobClaim(%d, %d): counts of 3 and 5 bytes only", count, claim)
	}
	at := bytes.Index(b, old)
	if at < 0 || bytes.Count(b, old) != 1 {
		t.Fatalf("no single count of %d in the gob stream", count)
	}
	out := append(append(append([]byte{}, b[:at]...), repl...), b[at+len(old):]...)
	// Each message is its length, then its bytes: the one holding the
	// count grows.
	for k := 0; k < len(b); {
		h, n := readGobUint(b[k:])
		if k+h+n > at {
			grown := gobUint(uint64(n + len(repl) - len(old)))
			return append(append(append([]byte{}, out[:k]...), grown...), out[k+h:]...)
		}
		k += h + n
	}
	t.Fatal("the count is past the last message")
	return nil
}

// gobUint is gob's spelling of u: one byte below 0x80, else the negated
// count of the big-endian bytes that follow.
func gobUint(u uint64) []byte {
	if u < 0x80 {
		return []byte{byte(u)}
	}
	var bs []byte
	for ; u > 0; u >>= 8 {
		bs = append([]byte{byte(u)}, bs...)
	}
	return append([]byte{byte(-int8(len(bs)))}, bs...)
}

// readGobUint reads one: its size in bytes and its value.
func readGobUint(b []byte) (size, v int) {
	if b[0] < 0x80 {
		return 1, int(b[0])
	}
	n := int(-int8(b[0]))
	for _, x := range b[1 : 1+n] {
		v = v<<8 | int(x)
	}
	return 1 + n, v
}
