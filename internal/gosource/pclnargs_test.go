package gosource

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/target"
)

// oracles are what a test compares types from source with, both read
// from bin independently of this package: its DWARF (debuginfo) and its
// function table's argument sizes (pclnArgs). The index is closed with the
// test.
func oracles(t *testing.T, bin string) (*debuginfo.Index, map[string]int64) {
	t.Helper()
	b, err := target.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	ix, err := debuginfo.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	args, err := pclnArgs(bin)
	if err != nil {
		t.Fatal(err)
	}
	return ix, args
}

// pclnArgs reads every function's _func.args from a Go 1.18+ .gopclntab,
// independently of internal/gopclntab (the expected frame sizes must come
// from outside the code under test). Names that repeat (ABI0 wrappers)
// keep the first entry's value.
func pclnArgs(path string) (map[string]int64, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sec := f.Section(".gopclntab")
	if sec == nil {
		return nil, fmt.Errorf("%s: no .gopclntab", path)
	}
	b, err := sec.Data()
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	if len(b) < 72 {
		return nil, fmt.Errorf("short pclntab")
	}
	switch le.Uint32(b) {
	case 0xfffffff0, 0xfffffff1: // Go 1.18-1.19, 1.20+
	default:
		return nil, fmt.Errorf("pclntab magic %#x: not Go 1.18+", le.Uint32(b))
	}
	nfunc := int(le.Uint64(b[8:]))
	nameOff := le.Uint64(b[32:])
	pcln := le.Uint64(b[64:])
	out := map[string]int64{}
	for i := 0; i < nfunc; i++ {
		ent := pcln + uint64(i)*8
		if ent+8 > uint64(len(b)) {
			return nil, fmt.Errorf("functab out of range")
		}
		fo := pcln + uint64(le.Uint32(b[ent+4:]))
		if fo+12 > uint64(len(b)) {
			return nil, fmt.Errorf("_func out of range")
		}
		no := nameOff + uint64(int32(le.Uint32(b[fo+4:])))
		if no >= uint64(len(b)) {
			return nil, fmt.Errorf("name out of range")
		}
		name := b[no:]
		if j := bytes.IndexByte(name, 0); j >= 0 {
			name = name[:j]
		}
		if _, dup := out[string(name)]; !dup {
			out[string(name)] = int64(int32(le.Uint32(b[fo+8:])))
		}
	}
	return out, nil
}
