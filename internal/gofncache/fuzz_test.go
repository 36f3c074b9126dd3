package gofncache

import (
	"os"
	"testing"
)

// FuzzLoad: whatever bytes an entry file holds, Load answers without
// panicking, and what it loads has every type reference resolved.
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
	f.Fuzz(func(t *testing.T, b []byte) {
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
