package nameindex

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"testing"

	"github.com/stapgen/stapgen/internal/atomicfile"
	"github.com/stapgen/stapgen/internal/debuginfo/raw"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestLoadHugeCount: a cache file whose list of linkage names claims 2^26
// entries (five changed bytes) is a miss, and reading it allocates about
// what the file holds. Saved as maps, the same five bytes made Load
// allocate 5 GB (gob sizes a map by the claim first).
func TestLoadHugeCount(t *testing.T) {
	b, err := target.Open(testenv.CFixture(t, testenv.CO0))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c := raw.NewCache(b, false, t.TempDir())
	p, ok := c.Path(ext)
	if !ok {
		t.Fatal("the C fixture has no build-id")
	}
	n := &Index{ByName: map[string][]Ref{"main": {{Off: 11, Unit: 0, Code: true}}}, Names: []string{"main"}, Linkage: map[string]string{}}
	for i := range 300 {
		n.Linkage[fmt.Sprintf("_Z%d", i)] = fmt.Sprintf("f%d", i)
	}
	n.Save(c, 1)
	if got := Load(c, 1); got == nil || len(got.Linkage) != 300 || len(got.ByName["main"]) != 1 {
		t.Fatalf("the saved index did not load back: %+v", got)
	}
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// gob writes the count 300 as FE 01 2C; 2^26 is FC 04 00 00 00, and
	// the message holding it grows by two bytes.
	i := bytes.Index(good, []byte{0xfe, 0x01, 0x2c})
	if i < 0 || bytes.Count(good, []byte{0xfe, 0x01, 0x2c}) != 1 {
		t.Fatal("no single count of 300 in the file")
	}
	bad := append(append(append([]byte{}, good[:i]...), 0xfc, 0x04, 0, 0, 0), good[i+3:]...)
	bad = growMessage(t, bad, i, 2)
	if err := atomicfile.Write(p, 0o600, func(f *os.File) error { _, err := f.Write(bad); return err }); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := Load(c, 1)
	runtime.ReadMemStats(&after)
	if got != nil {
		t.Errorf("a damaged file loaded %d linkage names", len(got.Linkage))
	}
	if m := after.TotalAlloc - before.TotalAlloc; m > 64<<20 {
		t.Errorf("reading a %d-byte file allocated %d MB", len(bad), m>>20)
	}
}

// growMessage adds grow to the length prefix of the gob message that
// holds offset at (each message is its length, then its bytes).
func growMessage(t *testing.T, b []byte, at, grow int) []byte {
	t.Helper()
	for k := 0; k < len(b); {
		h, n := gobUint(b[k:])
		if k+h+n > at {
			return append(append(append([]byte{}, b[:k]...), gobUintBytes(uint64(n+grow))...), b[k+h:]...)
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
