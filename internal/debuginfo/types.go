package debuginfo

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo/nameindex"
	"github.com/stapgen/stapgen/internal/goruntime"
)

// ErrNoType is matched by TypeByName's error when no such type exists.
var ErrNoType = errors.New("type not found")

// TypeByName returns a named type: "runtime.g" or "main.Opts" (Go), or
// "struct sk_buff", "union x", "enum y", "u32" (C). A bare name also finds
// a struct of that name. The first definition wins: one type per name.
func (ix *Index) TypeByName(name string) (t *Type, err error) {
	err = ix.do(func() error {
		names := ix.nameIndex()
		off, ok := names.Types[name]
		if !ok && !strings.Contains(name, " ") {
			off, ok = names.Types["struct "+name]
		}
		if !ok {
			return fmt.Errorf("%s: %w", name, ErrNoType)
		}
		fv, err := ix.dw.Full()
		if err != nil {
			return err
		}
		t, err = ix.typesOf(fv).TypeAt(off, lang(ix.dw.Meta(ix.dw.UnitOf(off))))
		return err
	})
	return t, err
}

// NearTypes are the defined type names closest to name, best first
// ("struct getdents_callback" finds "struct getdents_callback64"), for
// the message that refuses an unknown one.
func (ix *Index) NearTypes(name string) []string {
	var out []string
	_ = ix.do(func() error {
		types := ix.nameIndex().Types
		all := make([]string, 0, len(types))
		for k := range types {
			all = append(all, k)
		}
		sort.Strings(all)
		out = nameindex.Similar(name, all, maxNear)
		return nil
	})
	return out
}

// GoidOffset returns the byte offset of the goroutine id in runtime.g,
// read from this binary's DWARF (the rule: goruntime.GoidField).
func (ix *Index) GoidOffset() (int64, error) {
	t, err := ix.TypeByName(goruntime.GType)
	if err != nil {
		return 0, fmt.Errorf("goid offset: %w", err)
	}
	for _, f := range t.Members() {
		if f.Name == goruntime.GoidField {
			return f.Offset, nil
		}
	}
	return 0, fmt.Errorf("goid offset: %s has no %s field", goruntime.GType, goruntime.GoidField)
}

// PrologueEnd returns the first pc after f's prologue as marked by the
// compiler (DW_LNS_set_prologue_end). Go emits it after the stack-growth
// check, so a probe there fires once even when the function grows its
// stack (entry probes fire twice: morestack re-enters at the entry). GCC
// does not emit the flag; ok is false then.
func (ix *Index) PrologueEnd(f *Function) (pc uint64, ok bool) {
	if f.Inlined || f.End <= f.Entry {
		return 0, false
	}
	ix.do(func() error {
		if u, found := ix.dw.UnitAt(f.Entry); found {
			pc, ok = ix.dw.PrologueEnd(u, f.Entry, f.End)
		}
		return nil
	})
	return pc, ok
}
