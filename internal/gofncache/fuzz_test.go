package gofncache

import (
	"os"
	"testing"
)

// FuzzLoad: whatever bytes an entry file holds, Load (and LoadBinary, of
// the same bytes) answers without panicking, and what it loads has every
// type reference resolved.
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
	f.Fuzz(func(t *testing.T, b []byte) {
		os.WriteFile(c.BinaryPath(), b, 0o600)
		_ = c.LoadBinary()
		os.WriteFile(c.Path("main.walk"), b, 0o600)
		fns, ok := c.Load("main.walk")
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
