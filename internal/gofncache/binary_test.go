package gofncache

import (
	"os"
	"runtime"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// TestBinaryHugeCount: a binary entry whose list of names claims 2^26
// entries (five changed bytes) is a miss, and reading it allocates about
// what the file holds: gob's map decoding sized the map by the claim
// first (3.4 GB for this one).
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
	bad := testenv.GobClaim(t, good, 300, 1<<26)
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
