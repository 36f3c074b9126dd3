package nameindex

import (
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
	bad := testenv.GobClaim(t, good, 300, 1<<26)
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
