package gofncache

import (
	"bytes"
	"os"
	"runtime"
	"testing"
)

// TestBinaryHugeCount: a binary entry whose list of names claims 2^26
// entries (five changed bytes) is a miss, and reading it allocates about
// what the file holds: gob's map decoding sized the map by the claim
// first (3.5 GB for this one), which stalled FuzzLoad.
func TestBinaryHugeCount(t *testing.T) {
	c := Cache{dir: t.TempDir(), id: "0123abcd", size: 4096, mtime: 1700000000}
	b := Binary{Names: map[uint64]string{}}
	for i := range 300 {
		b.Names[0x1000+uint64(i)] = "f"
	}
	c.StoreBinary(b)
	if got := len(c.LoadBinary().Names); got != 300 {
		t.Fatalf("stored 300 names, loaded %d", got)
	}
	good, err := os.ReadFile(c.BinaryPath())
	if err != nil {
		t.Fatal(err)
	}
	// gob writes the count 300 as FE 01 2C; 2^26 is FC 04 00 00 00, and
	// the message holding it grows by two bytes.
	i := bytes.Index(good, []byte{0xfe, 0x01, 0x2c})
	if i < 0 || bytes.Count(good, []byte{0xfe, 0x01, 0x2c}) != 1 {
		t.Fatalf("no single count of 300 in the entry")
	}
	bad := append(append(append([]byte{}, good[:i]...), 0xfc, 0x04, 0, 0, 0), good[i+3:]...)
	bad = growMessage(t, bad, i, 2)
	if err := os.WriteFile(c.BinaryPath(), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := c.LoadBinary()
	runtime.ReadMemStats(&after)
	if got.Names != nil {
		t.Errorf("a damaged entry loaded %d names", len(got.Names))
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Errorf("reading a %d-byte entry allocated %d MB", len(bad), n>>20)
	}
}

// growMessage adds grow to the length prefix of the gob message that
// holds offset at (gob: each message is its length, then its bytes).
func growMessage(t *testing.T, b []byte, at, grow int) []byte {
	t.Helper()
	for k := 0; k < len(b); {
		h, n := gobUint(b[k:])
		if k+h+n > at {
			prefix := gobUintBytes(uint64(n + grow))
			return append(append(append([]byte{}, b[:k]...), prefix...), b[k+h:]...)
		}
		k += h + n
	}
	t.Fatal("offset past the last message")
	return nil
}

// gobUint reads a gob unsigned integer: one byte below 0x80, else the
// negated count of big-endian bytes that follow.
func gobUint(b []byte) (size, v int) {
	if b[0] < 0x80 {
		return 1, int(b[0])
	}
	n := int(-int8(b[0]))
	for _, x := range b[1 : 1+n] {
		v = v<<8 | int(x)
	}
	return 1 + n, v
}

func gobUintBytes(u uint64) []byte {
	if u < 0x80 {
		return []byte{byte(u)}
	}
	var bs []byte
	for ; u > 0; u >>= 8 {
		bs = append([]byte{byte(u)}, bs...)
	}
	return append([]byte{byte(-int8(len(bs)))}, bs...)
}
