package raw

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"reflect"
	"testing"

	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestUnitCache: a large file's unit table is written on the first open
// and read on the next; what is read equals a fresh walk of the headers,
// and a damaged or stale cache file is ignored, never trusted.
func TestUnitCache(t *testing.T) {
	path := testenv.CmdGo(t) // hundreds of units: over minCacheUnits
	dir := t.TempDir()
	var cache Cache
	open := func() *File {
		t.Helper()
		b, err := target.OpenWith(path, target.Options{DebugDirs: []string{}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		cache = NewCache(b, false, dir)
		f, err := Open(b, cache)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	first := open()
	truth, err := readUnits(first.sec.info, first.sec.order)
	if err != nil || len(truth) < minCacheUnits {
		t.Fatalf("%d units, %v: the test needs a larger input", len(truth), err)
	}
	p, ok := cache.Path(".units")
	if !ok {
		t.Fatal("no cache path: the fixture has no build-id?")
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("unit cache not written: %v", err)
	}
	size, mtime := cache.Size, cache.MTime
	if got := decodeUnits(data, size, mtime, len(first.sec.info)); !reflect.DeepEqual(got, truth) {
		t.Fatalf("cached table differs from the headers (%d vs %d units)", len(got), len(truth))
	}
	if got := open().Units; !reflect.DeepEqual(got, truth) {
		t.Fatalf("second open: %d units, headers say %d", len(got), len(truth))
	}

	damage := map[string]func([]byte) []byte{
		"truncated":     func(b []byte) []byte { return b[:len(b)-3] },
		"bit flip":      func(b []byte) []byte { b[len(b)/2] ^= 4; return b },
		"other size":    func(b []byte) []byte { return reseal(b, len(unitsMagic)) },
		"gap":           func(b []byte) []byte { return reseal(b, unitsHeader+unitRecord+1) },
		"last end":      func(b []byte) []byte { return reseal(b, len(b)-4-unitRecord+16) },
		"abbrev offset": func(b []byte) []byte { return reseal(b, len(b)-4-unitRecord+24) },
		"magic":         func(b []byte) []byte { b[0] = 'X'; return b },
	}
	for name, f := range damage {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(p, f(append([]byte(nil), data...)), 0o600); err != nil {
				t.Fatal(err)
			}
			if us := loadUnits(p, size, mtime, first.sec.info, first.sec.order); us != nil {
				t.Fatal("a damaged cache file was accepted")
			}
			if got := open().Units; !reflect.DeepEqual(got, truth) {
				t.Fatal("open with a damaged cache gave a different unit table")
			}
		})
	}
}

// reseal flips a bit at i and rewrites the CRC: damage the checksum
// cannot catch, so the checks behind it must.
func reseal(b []byte, i int) []byte {
	b[i] ^= 0x10
	body := b[:len(b)-4]
	binary.LittleEndian.PutUint32(b[len(body):], crc32.Checksum(body, castagnoli))
	return b
}

// FuzzUnitCache: any table in a cache file (sealed with a valid CRC, so
// the structural checks are what is fuzzed) either tiles .debug_info or
// is rejected; nothing panics.
func FuzzUnitCache(f *testing.F) {
	unsealed := func(b []byte) []byte { return b[:len(b)-4] }
	us := []Unit{{Hdr: 0, DIE: 11, End: 100, Version: 4, AddrSize: 8}, {Hdr: 100, DIE: 112, End: 300, Version: 5, AddrSize: 8, Abbrev: 40}}
	f.Add(unsealed(encodeUnits(us, 1, 2, 300)))
	f.Add(unsealed(encodeUnits(us[:1], 1, 2, 100)))
	f.Add([]byte(unitsMagic))
	f.Fuzz(func(t *testing.T, body []byte) {
		data := binary.LittleEndian.AppendUint32(append([]byte(nil), body...), crc32.Checksum(body, castagnoli))
		for _, infoLen := range []int{100, 300} {
			got := decodeUnits(data, 1, 2, infoLen)
			if got == nil {
				continue
			}
			next := uint64(0)
			for _, u := range got {
				if uint64(u.Hdr) != next || u.DIE <= u.Hdr || u.End < u.DIE {
					t.Fatalf("accepted a table that does not tile: %+v", got)
				}
				next = uint64(u.End)
			}
			if next != uint64(infoLen) {
				t.Fatalf("accepted a table ending at %d of %d", next, infoLen)
			}
		}
	})
}
