package gopclntab

import (
	"encoding/binary"
	"fmt"
)

// tflagExtraStar marks a descriptor whose Str has a '*' to drop: a named
// type T shares the string "*T" with its pointer type *T.
const (
	typeTFlag      = 20
	tflagExtraStar = 1 << 1
)

// Types is the link-time address range of the binary's type descriptors
// (moduledata.types..etypes): a descriptor's Str is an offset from its
// start.
func (t *Table) Types() (base, end uint64, err error) {
	if t.md == nil || t.md.types == 0 {
		return 0, 0, fmt.Errorf("no moduledata: %w", ErrNoTypeInfo)
	}
	return t.md.types, t.md.etypes, nil
}

// TypeAddrs finds the descriptors of the types named in want (Go's
// spelling, "*errors.errorString", "syscall.Errno"), each of the kind
// want gives it (reflect.Kind numbering), and returns their link-time
// addresses. A name the binary has no descriptor for is left out: the
// linker keeps only the types the program uses.
func (t *Table) TypeAddrs(want map[string]uint8) (addrs map[string]uint64, err error) {
	defer func() {
		if r := recover(); r != nil {
			addrs, err = nil, fmt.Errorf("corrupt type metadata: %v: %w", r, ErrNoTypeInfo)
		}
	}()
	base, end, err := t.Types()
	if err != nil {
		return nil, err
	}
	types, err := t.img.raw(base, end-base)
	if err != nil {
		return nil, fmt.Errorf("types %#x-%#x: %w: %w", base, end, err, ErrNoTypeInfo)
	}
	// A descriptor's Str is either the name itself, or "*"+name with the
	// extra-star flag: both are looked for, as the (offset, flag) pairs
	// that stand for each wanted name.
	type key struct {
		off   int32
		extra bool
	}
	names := map[key]string{}
	for name := range want {
		for _, o := range capped(nameOffsets(types, name)) {
			names[key{int32(o), false}] = name
		}
		for _, o := range capped(nameOffsets(types, "*"+name)) {
			names[key{int32(o), true}] = name
		}
	}
	addrs = map[string]uint64{}
	if len(names) == 0 {
		return addrs, nil
	}
	for o := 0; o+typeSize <= len(types); o += 8 {
		k := key{int32(binary.LittleEndian.Uint32(types[o+typeStr:])), types[o+typeTFlag]&tflagExtraStar != 0}
		name, ok := names[k]
		if !ok || types[o+typeKind]&kindMask != want[name] {
			continue
		}
		if _, dup := addrs[name]; !dup {
			addrs[name] = base + uint64(o)
		}
	}
	return addrs, nil
}

// capped bounds the candidates of one name: the linker writes each name
// once, a hostile file's thousands would each cost a scan.
func capped(offs []int) []int {
	if len(offs) > maxNames {
		return offs[:maxNames]
	}
	return offs
}
