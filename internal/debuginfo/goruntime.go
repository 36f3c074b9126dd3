package debuginfo

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stapgen/stapgen/internal/goruntime"
)

// ErrNoType is matched by TypeByName's error when no such type exists.
var ErrNoType = errors.New("type not found")

// TypeByName returns a named type: "runtime.g" or "main.Opts" (Go), or
// "struct sk_buff", "union x", "enum y", "u32" (C). A bare name also finds
// a struct of that name. The first definition wins: one type per name.
func (ix *Index) TypeByName(name string) (t *Type, err error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	defer ix.guard(&err)
	names, err := ix.nameIndex()
	if err != nil {
		return nil, err
	}
	off, ok := names.Types[name]
	if !ok && !strings.Contains(name, " ") {
		off, ok = names.Types["struct "+name]
	}
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, ErrNoType)
	}
	lang := LangC
	if m := ix.unitMeta(ix.unitOf(off)); m != nil {
		lang = m.lang
	}
	fv, err := ix.full()
	if err != nil {
		return nil, err
	}
	return fv.types.typeAt(off, lang)
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
