package debuginfo

import (
	"sync"
	"testing"

	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestGoABI0Preferred: runtime functions written in Go but called from
// assembly have an ABI0 wrapper with a second DIE of the same name; the
// index must return the ABIInternal body only.
func TestGoABI0Preferred(t *testing.T) {
	bin := testenv.GoFixture(t, testenv.GoDefault)
	b, err := target.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	st, _ := b.Symbols()
	ix := openIndex(t, bin)
	checked := 0
	for _, s := range st.Funcs {
		if !s.ABI0 {
			continue
		}
		var body *target.Symbol
		for _, o := range st.Lookup(s.Name) {
			if !o.ABI0 {
				o := o
				body = &o
			}
		}
		if body == nil {
			continue // assembly function: only the ABI0 symbol exists
		}
		for _, get := range []func(string) ([]*Function, error){ix.Lookup, func(n string) ([]*Function, error) { return ix.Match(n) }} {
			fs, err := get(s.Name)
			if err != nil {
				t.Errorf("%s: %v", s.Name, err)
				continue
			}
			if len(fs) != 1 || fs[0].Entry != body.Addr {
				t.Errorf("%s: %d functions, entry %#x; want the body at %#x (wrapper %#x)", s.Name, len(fs), fs[0].Entry, body.Addr, s.Addr)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no Go function with an ABI0 wrapper in the fixture")
	}
}

// TestConcurrentQueries runs queries from several goroutines; with -race
// it checks the lock around debug/dwarf and the caches.
func TestConcurrentQueries(t *testing.T) {
	ix := openIndex(t, testenv.GoFixture(t, testenv.GoDefault))
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for _, n := range []string{"main.Str", "main.Many", "main.Ptr"} {
				if fs, err := ix.Lookup(n); err != nil || len(fs) != 1 {
					t.Errorf("Lookup(%s) = %v, %v", n, fs, err)
				}
			}
			if _, err := ix.Match("main.*"); err != nil {
				t.Error(err)
			}
			if ns, err := ix.Names("main.S*"); err != nil || len(ns) < 5 {
				t.Errorf("Names(main.S*) = %v, %v", ns, err)
			}
			if _, err := ix.GoidOffset(); err != nil {
				t.Error(err)
			}
			ix.PrologueEnd(&Function{Name: "x", Entry: 1, End: 2})
		}(i)
	}
	wg.Wait()
}
