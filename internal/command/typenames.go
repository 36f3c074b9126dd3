package command

import (
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/gofacts"
	"github.com/stapgen/stapgen/internal/report"
	"github.com/stapgen/stapgen/internal/session"
)

// maxTypeNames bounds the descriptors a run's type namer remembers: a
// record's type word is the traced program's to choose.
const maxTypeNames = 1 << 12

// typeNamer names Go interfaces' dynamic types from name's runtime type
// descriptors (its moduledata: DWARF or not); done releases the binary.
func typeNamer(o session.OpenOptions, name string) (report.TypeNamer, func() error, error) {
	bin, err := openBinary(name, o)
	if err != nil {
		return nil, nil, err
	}
	facts := gofacts.New(bin, nil)
	type named struct {
		t  event.DynType
		ok bool
	}
	seen := map[uint64]named{}
	return func(addr uint64) (event.DynType, bool) {
		if n, ok := seen[addr]; ok {
			return n.t, n.ok
		}
		d, err := facts.TypeAt(addr)
		n := named{t: event.DynType{Name: d.Name, Kind: d.Kind, Size: d.Size, Direct: d.Direct}, ok: err == nil}
		if len(seen) < maxTypeNames {
			seen[addr] = n
		}
		return n.t, n.ok
	}, bin.Close, nil
}
