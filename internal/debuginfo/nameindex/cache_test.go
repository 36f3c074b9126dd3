package nameindex

import (
	"bytes"
	"encoding/gob"
	"os"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo/raw"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// FuzzLoadCache: whatever a cache file holds, Load returns nil or an index
// whose references stay inside the file's units; it never panics.
func FuzzLoadCache(f *testing.F) {
	b, err := target.Open(testenv.CFixture(f, testenv.CO0))
	if err != nil {
		f.Fatal(err)
	}
	defer b.Close()
	c := raw.NewCache(b, false, f.TempDir())
	p, ok := c.Path(ext)
	if !ok {
		f.Fatal("the C fixture has no build-id")
	}
	const units = 3
	var good bytes.Buffer
	gob.NewEncoder(&good).Encode(&cacheFile{Version: cacheVersion, Size: c.Size, MTime: c.MTime, Units: units,
		Index: (&Index{ByName: map[string][]Ref{"main": {{Off: 11, Unit: 2, LowPC: 0x1000, Code: true}}}, Names: []string{"main"}}).persisted()})
	// The well-formed file is read back: the checks below are not vacuous.
	if err := os.WriteFile(p, good.Bytes(), 0o600); err != nil {
		f.Fatal(err)
	}
	if n := Load(c, units); n == nil || len(n.ByName["main"]) != 1 {
		f.Fatalf("a valid cache file was not read back: %+v", n)
	}
	if Load(c, units+1) != nil {
		f.Fatal("a cache file for another unit count was accepted")
	}
	f.Add(good.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		n := Load(c, units)
		if n == nil {
			return
		}
		for name, refs := range n.ByName {
			for _, r := range refs {
				if r.Unit < 0 || r.Unit >= units {
					t.Fatalf("%s: unit %d of %d accepted", name, r.Unit, units)
				}
			}
		}
	})
}
