package dwtype

import "debug/dwarf"

// Go's DWARF extension attributes (cmd/internal/dwarf).
const (
	attrGoKind      dwarf.Attr = 0x2900
	attrGoKey       dwarf.Attr = 0x2901
	attrGoElem      dwarf.Attr = 0x2902
	attrGoDictIndex dwarf.Attr = 0x2906
)

// Go reflect.Kind values carried in DW_AT_go_kind.
const (
	goKindChan      = 18
	goKindFunc      = 19
	goKindInterface = 20
	goKindMap       = 21
	goKindSlice     = 23
	goKindString    = 24
)

// applyGoKind marks Go's runtime-represented kinds and links key/elem.
func (tr *Reader) applyGoKind(t *Type, goKind int64, goRef func(dwarf.Attr) *Type) {
	switch goKind {
	case goKindString:
		t.Kind = KindString
	case goKindSlice:
		t.Kind = KindSlice
		if el := goRef(attrGoElem); el != nil {
			t.Elem = el
		}
	case goKindInterface:
		t.Kind = KindInterface
		t.EmptyInterface = len(t.Fields) > 0 && t.Fields[0].Name == "_type"
	case goKindMap:
		t.Kind, t.Key, t.Elem, t.Fields = KindMap, goRef(attrGoKey), goRef(attrGoElem), nil
	case goKindChan:
		t.Kind, t.Elem, t.Fields = KindChan, goRef(attrGoElem), nil
	case goKindFunc:
		t.Kind, t.Fields = KindFunc, nil
	}
}
