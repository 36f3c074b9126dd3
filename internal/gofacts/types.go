package gofacts

import (
	"fmt"

	"github.com/stapgen/stapgen/internal/gopclntab"
	"github.com/stapgen/stapgen/internal/goruntime"
	"github.com/stapgen/stapgen/internal/plan"
)

var _ plan.GoTypeFacts = (*Facts)(nil)

// GoTypes finds the runtime type descriptors interface values are decoded
// by, from the binary's moduledata: the same with DWARF or without.
func (x *Facts) GoTypes() (ts *plan.GoTypes, err error) {
	if uerr := x.bin.Use(func() {
		var tab *gopclntab.Table
		if tab, err = x.table(); err != nil {
			return
		}
		var base uint64
		if base, _, err = tab.Types(); err != nil {
			return
		}
		want := map[string]uint8{}
		for _, l := range goruntime.ErrorLayouts {
			want[l.Name] = l.Kind
		}
		var addrs map[string]uint64
		if addrs, err = tab.TypeAddrs(want); err != nil {
			return
		}
		ts = &plan.GoTypes{Base: base, PIE: x.bin.PIE}
		for _, l := range goruntime.ErrorLayouts {
			if a, ok := addrs[l.Name]; ok {
				ts.Known = append(ts.Known, plan.KnownType{Layout: l, Addr: a})
			}
		}
	}); uerr != nil {
		return nil, fmt.Errorf("type metadata: %s: %w", x.bin.Path, uerr)
	}
	if err != nil {
		return nil, fmt.Errorf("type metadata: %w", err)
	}
	return ts, nil
}

// TypeAt reads the runtime type descriptor at link-time address addr.
func (x *Facts) TypeAt(addr uint64) (d gopclntab.TypeDesc, err error) {
	if uerr := x.bin.Use(func() {
		var tab *gopclntab.Table
		if tab, err = x.table(); err == nil {
			d, err = tab.TypeAt(addr)
		}
	}); uerr != nil {
		return d, uerr
	}
	return d, err
}

// table reads the function table once; call it inside bin.Use (the table
// slices the mapping).
func (x *Facts) table() (*gopclntab.Table, error) {
	if x.tab == nil {
		t, err := gopclntab.ReadMapped(x.bin.ELF(), x.bin.Mapped())
		if err != nil {
			return nil, err
		}
		x.tab = t
	}
	return x.tab, nil
}
