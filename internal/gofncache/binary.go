package gofncache

import (
	"cmp"
	"io"
	"os"
	"slices"

	"github.com/stapgen/stapgen/internal/atomicfile"
)

// Binary is what a plan asks of the whole binary rather than of one
// function. Each fact is kept once it was found; one never asked for, or
// whose lookup failed, is absent (a plan needing it reads the binary).
type Binary struct {
	// Goid is runtime.g.goid's offset, when GoidOK.
	Goid   int64
	GoidOK bool
	// Types are the runtime type descriptors interfaces are decoded by,
	// nil when absent.
	Types *GoTypes
	// Names are the symbols a binary without DWARF or symbols is probed
	// by (symfile's), by address, for the addresses plans probed.
	Names map[uint64]string
	// Word is the 8-byte integer type BPF scripts read strings' words
	// through (plan.FindWordType), nil when never asked.
	Word *Word
}

// Word is a type's name and how stap's @cast names its module; an empty
// Name: the binary has none.
type Word struct {
	Name, Module string
}

// GoTypes is moduledata.types and the descriptors found of the types the
// plan reads by layout, by name, in the order they were asked for.
type GoTypes struct {
	Base  uint64
	PIE   bool
	Known []Known
}

// Known is one type descriptor's address.
type Known struct {
	Name string
	Addr uint64
}

// binaryQuery names the binary's facts among the entries: no function
// name holds a NUL.
const binaryQuery = "\x00binary"

// BinaryPath is where the binary's facts are kept, "" when off.
func (c Cache) BinaryPath() string { return c.Path(binaryQuery) }

// binaryEntry is the persisted form of Binary. It holds no map: gob
// sizes a map by the count the file claims before reading one entry
// (reflect.MakeMapWithSize), so five damaged bytes made LoadBinary
// allocate gigabytes, where a slice's length is checked against the bytes
// that follow.
type binaryEntry struct {
	Head   head
	Goid   int64
	GoidOK bool
	Types  *GoTypes
	Names  []named
	Word   *Word
}

// named is one of Binary.Names.
type named struct {
	Addr uint64
	Name string
}

func (e *binaryEntry) binary() Binary {
	b := Binary{Goid: e.Goid, GoidOK: e.GoidOK, Types: e.Types, Word: e.Word}
	if e.Names != nil {
		b.Names = make(map[uint64]string, len(e.Names))
		for _, n := range e.Names {
			b.Names[n.Addr] = n.Name
		}
	}
	return b
}

func newBinaryEntry(h head, b Binary) *binaryEntry {
	e := &binaryEntry{Head: h, Goid: b.Goid, GoidOK: b.GoidOK, Types: b.Types, Word: b.Word}
	for a, n := range b.Names {
		e.Names = append(e.Names, named{a, n})
	}
	// Sorted, so the same facts make the same file.
	slices.SortFunc(e.Names, func(x, y named) int { return cmp.Compare(x.Addr, y.Addr) })
	return e
}

// LoadBinary returns the binary's facts found so far (none when off,
// stale or damaged).
func (c Cache) LoadBinary() Binary {
	if c.dir == "" {
		return Binary{}
	}
	f, err := os.Open(c.path(binaryQuery))
	if err != nil {
		return Binary{}
	}
	defer f.Close()
	return c.decodeBinary(f)
}

// decodeBinary is LoadBinary of the entry r holds.
func (c Cache) decodeBinary(r io.Reader) Binary {
	var e binaryEntry
	if atomicfile.DecodeGob(r, &e) != nil || !c.current(e.Head, binaryQuery) {
		return Binary{}
	}
	return e.binary()
}

// StoreBinary keeps b's facts, adding them to those kept before, so that
// plans asking different facts complete one entry.
func (c Cache) StoreBinary(b Binary) {
	if c.dir == "" {
		return
	}
	old := c.LoadBinary()
	if !b.GoidOK && old.GoidOK {
		b.Goid, b.GoidOK = old.Goid, true
	}
	if b.Types == nil {
		b.Types = old.Types
	}
	newWord := b.Word != nil && (old.Word == nil || *b.Word != *old.Word)
	if b.Word == nil {
		b.Word = old.Word
	}
	grew := false
	for a, n := range b.Names {
		grew = grew || old.Names[a] != n
	}
	if b.Names == nil {
		b.Names = old.Names
	} else {
		for a, n := range old.Names {
			if _, ok := b.Names[a]; !ok {
				b.Names[a] = n
			}
		}
	}
	if !grew && !newWord && b.GoidOK == old.GoidOK && b.Goid == old.Goid && b.Types == old.Types {
		return
	}
	c.write(binaryQuery, newBinaryEntry(c.newHead(binaryQuery, nil), b))
}
