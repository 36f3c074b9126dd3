package gosource

import (
	"debug/buildinfo"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSourceFunc feeds arbitrary main-package source (what --source
// points at) to the resolver: every query ends in a signature or an
// error, never a panic (Func's recover would report one as an
// "internal error", which fails here).
func FuzzSourceFunc(f *testing.F) {
	for _, s := range []string{
		"package main\n\ntype T struct{ a int8; b [1 << 3]uint16; n *T }\n\nfunc F(t T, x ...string) (T, error)\n\nfunc (t *T) M(m map[T]chan<- int) {}\n",
		"package main\n\nconst N = 1 << (^uintptr(0) >> 63)\n\ntype A [N * 2]byte\n\ntype G[P any] struct{ p P }\n\nfunc F(a A, g G[int]) {}\n",
		"package main\n\ntype T = T\n\ntype U U\n\nfunc F(t T, u U) {}\nfunc () M() {}\n",
		"package main\n\nimport \"unsafe\"\n\ntype T struct{ _ [unsafe.Sizeof(T{})]byte }\n\nfunc F(t T) {}\n",
	} {
		f.Add(s)
	}
	bi := &buildinfo.BuildInfo{GoVersion: "go1.19.8", Path: "example.com/fz"}
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		r := New(bi, Options{Source: dir, GoRoots: []string{}, ModCache: dir})
		for _, fn := range []string{"main.F", "main.T.M", "main.(*T).M", "main.(*T).F", "main.G.M"} {
			sig, err := r.Func(fn)
			if err != nil {
				if strings.Contains(err.Error(), "internal error") {
					t.Fatalf("%s: %v", fn, err)
				}
				continue
			}
			for _, v := range append(sig.Params, sig.Results...) {
				if v.Type == nil {
					t.Fatalf("%s: %s has no type", fn, v.Name)
				}
			}
			_, _ = sig.Frame(regABIOptions(fn, false))
		}
	})
}
