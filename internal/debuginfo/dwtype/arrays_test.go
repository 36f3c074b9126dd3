package dwtype

import (
	"debug/dwarf"
	"math/rand"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// goArrays returns the offset of every array type DIE of the Go binary
// at path whose spelling is known from outside this package, and that
// spelling: the compiler's own (DW_AT_name "[4]uint64") for an unnamed
// array, debug/dwarf's type name for a named one ("runtime.pallocBits")
// over base types, which debug/dwarf spells as Go does. Arrays of
// unsafe.Pointer are left out: Go's DWARF makes it a pointer to nothing,
// which this model spells "*unsafe.Pointer" on purpose (gosource mirrors
// the rule).
func goArrays(t *testing.T, path string) map[dwarf.Offset]string {
	t.Helper()
	d := openDWARF(t, path)
	want := map[dwarf.Offset]string{}
	eachArray(t, d, func(e *dwarf.Entry, dt, inner dwarf.Type) {
		n, _ := e.Val(dwarf.AttrName).(string)
		if strings.Contains(n, "unsafe.Pointer") {
			return
		}
		if strings.HasPrefix(n, "[") {
			want[e.Offset] = n
			return
		}
		if _, basic := inner.(interface{ Basic() *dwarf.BasicType }); basic {
			want[e.Offset] = dt.String()
		}
	})
	return want
}

// openDWARF reads the DWARF of path into a debug/dwarf data of its own:
// one data is not safe for concurrent readers (DWARF 5 units' offsets are
// computed lazily).
func openDWARF(t *testing.T, path string) *dwarf.Data {
	t.Helper()
	return testenv.DWARF(t, path)
}

// TestGoArraySpelling converts the array types of the Go fixture (see
// goArrays) in many random orders, on fresh readers and on readers
// running in parallel, and compares each Go spelling with the one known
// from outside: a Go array of arrays came out as "[128][4]uint64uint64"
// or right depending on the order pending names were settled in.
func TestGoArraySpelling(t *testing.T) {
	bin := testenv.GoFixture(t, testenv.GoDefault)
	names := goArrays(t, bin)
	var offs []dwarf.Offset
	nested := 0
	for off, n := range names {
		offs = append(offs, off)
		if strings.HasPrefix(n, "[") && strings.Contains(n, "][") {
			nested++
		}
	}
	slices.Sort(offs)
	if nested < 3 || len(offs) < 50 {
		t.Fatalf("%d arrays, %d of arrays: the case is not exercised", len(offs), nested)
	}
	check := func(d *dwarf.Data, seed int64) {
		var mu sync.Mutex
		tr := NewReader(d, 8, Shared{}, &mu, func(read func()) error { read(); return nil })
		order := append([]dwarf.Offset(nil), offs...)
		rand.New(rand.NewSource(seed)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, off := range order {
			got, err := tr.TypeAt(off, LangGo)
			if err != nil {
				t.Errorf("seed %d: %#x: %v", seed, off, err)
				continue
			}
			if got.GoName != names[off] {
				t.Errorf("seed %d: array at %#x spelled %q, want %q", seed, off, got.GoName, names[off])
			}
			if !strings.HasSuffix(got.Name, "[]") {
				t.Errorf("seed %d: array at %#x: stap spelling %q", seed, off, got.Name)
			}
		}
	}
	d := openDWARF(t, bin)
	for seed := int64(0); seed < 20; seed++ {
		check(d, seed)
	}
	var wg sync.WaitGroup
	for seed := int64(100); seed < 104; seed++ {
		d := openDWARF(t, bin)
		wg.Add(1)
		go func() { defer wg.Done(); check(d, seed) }()
	}
	wg.Wait()
	t.Logf("%d arrays (%d of arrays), 24 orders", len(offs), nested)
}

// eachArray calls f for every array type DIE of d, with debug/dwarf's
// type for it and the innermost element of its dimensions.
func eachArray(t *testing.T, d *dwarf.Data, f func(e *dwarf.Entry, dt, inner dwarf.Type)) {
	t.Helper()
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e == nil {
			return
		}
		if e.Tag != dwarf.TagArrayType {
			continue
		}
		dt, err := d.Type(e.Offset)
		if err != nil {
			t.Fatal(err)
		}
		inner := dt
		for {
			at, ok := inner.(*dwarf.ArrayType)
			if !ok {
				break
			}
			inner = at.Type
		}
		f(e, dt, inner)
	}
}
