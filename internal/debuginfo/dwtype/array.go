package dwtype

import "strconv"

func arrayOf(elem *Type, count int64) *Type {
	a := &Type{Kind: KindArray, Elem: elem, Count: count}
	if count >= 0 && elem.Size > 0 {
		a.Size = count * elem.Size
	}
	return a
}

// nameArray spells an array (and its inner dimensions) as stap does:
// "u8[]", "struct page*[]", and in Go's spelling "[4]uint64". It sets
// both names outright, so it may run more than once on one array: a Go
// array of arrays has one DIE, and one pending namer, per dimension, and
// the outer one used to spell the inner one directly, which then spelled
// itself again when settle reached its own namer; appending the element
// to the Go name made that "[4]uint64uint64", as often as map order put
// the outer namer first.
func (tr *Reader) nameArray(t *Type, lang Lang) {
	_, pending := tr.namers[t.Elem]
	inner := !pending && t.Elem.Kind == KindArray && t.Elem.Name == ""
	if inner {
		tr.nameArray(t.Elem, lang) // an inner dimension of a C a[2][3], which has no namer
	}
	tr.name(t.Elem)
	t.Name = t.Elem.Name + "[]"
	if inner && lang != LangGo {
		// stap names one array DIE once, whatever its dimensions: a C
		// char a[5][16] is "char[]" in stap -L, not "char[][]".
		t.Name = t.Elem.Name
	}
	if lang == LangGo {
		t.GoName = "[" + strconv.FormatInt(max(t.Count, 0), 10) + "]" + t.Elem.GoName
	}
}
