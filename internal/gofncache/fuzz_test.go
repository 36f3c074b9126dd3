package gofncache

import (
	"bytes"
	"os"
	"testing"
)

// FuzzLoad: whatever bytes an entry file holds, Load (and LoadBinary, of
// the same bytes) answers without panicking or allocating by the counts
// the bytes claim, and what it loads has every type reference resolved.
func FuzzLoad(f *testing.F) {
	// The keys of a real binary's cache, without opening one per worker.
	c := Cache{dir: f.TempDir(), id: "0123abcd", size: 4096, mtime: 1700000000}
	c.Store("main.walk", sample(), nil)
	good, err := os.ReadFile(c.Path("main.walk"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	c.StoreBinary(Binary{Goid: 152, GoidOK: true, Types: &GoTypes{Base: 0x1000, Known: []Known{{"*errors.errorString", 0x1200}}}, Names: map[uint64]string{0x1010: "main.walk"}})
	if facts, err := os.ReadFile(c.BinaryPath()); err == nil {
		f.Add(facts)
	}
	// The bytes are decoded where Load and LoadBinary decode a file's: two
	// file writes an input made each run so slow that minimizing one new
	// input (O(n²) runs of a 4 KB entry) held the fuzzer at 0 execs/s for
	// its whole minimize time.
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = c.decodeBinary(bytes.NewReader(b))
		fns, ok := c.decode(bytes.NewReader(b), "main.walk")
		if !ok {
			return
		}
		for _, x := range fns {
			for _, v := range append(x.F.Params, x.F.Results...) {
				if v.Type != nil {
					_ = v.Type.Name
				}
			}
		}
	})
}
