package gofncache

import (
	"errors"
	"fmt"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/goabi"
)

// Func is one function as show and gen use it: the DWARF's (or the
// source's) function with its whole type graph, and the Go facts computed
// from its code (the body past the stack check, its RETs, the register
// ABI assignment of its parameters and results).
type Func struct {
	F *debuginfo.Function
	// Layout is false for a function without Go facts (C, stripped
	// without a table).
	Layout bool
	Body   uint64
	Rets   []uint64
	// Params and Results are the ABI homes, nil when the assignment
	// failed.
	Params, Results []goabi.Loc
	// RetsOK and HomesOK say Rets and the homes were found; a failure's
	// error is not kept (a plan that would report it reads the binary).
	RetsOK, HomesOK bool
	// Check is the stack-check prologue, nil when f has none.
	Check *StackCheck
	// TypesFrom and TypesWhyNot say where a stripped binary's function got
	// its types from source, or why it has none.
	TypesFrom, TypesWhyNot string
}

// StackCheck is a Go prologue's check as gen plans from it (plan's
// StackCheck, kept here without the plan's package).
type StackCheck struct {
	Frame, Guard int64
	Body         uint64
	BodySP       int64
	Stub, End    uint64
}

// The persisted form holds the type graph as a table: types refer to each
// other by index, so cycles (a struct with a pointer to itself) and types
// shared by several parameters survive gob, which has neither.

type typeRec struct {
	Kind           debuginfo.Kind
	Name, GoName   string
	Size, Count    int64
	Elem, Key      int32 // index+1 into the table, 0 for none
	Fields         []fieldRec
	Char           bool
	EmptyInterface bool
	Enumerators    []debuginfo.Enumerator
}

type fieldRec struct {
	Name                       string
	Type                       int32
	Offset, BitSize, BitOffset int64
}

type varRec struct {
	Name     string
	Type     int32
	Result   bool
	Location string
	LocList  bool
}

type funcRec struct {
	Name, LinkageName, Symbol string
	CPP                       bool
	UnskippedBody             uint64
	Lang                      debuginfo.Lang
	File                      string
	Line                      int
	Entry, End                uint64
	Params, Results           []varRec
	Return                    int32
	NoTypes, Inlined          bool
	Module                    string

	Layout                 bool
	Body                   uint64
	Rets                   []uint64
	ParamLocs, ResultLocs  []goabi.Loc
	TypesFrom, TypesWhyNot string
	RetsOK, HomesOK        bool
	Check                  *StackCheck
}

// flattener numbers the types of a graph as it meets them.
type flattener struct {
	index map[*debuginfo.Type]int32
	types []typeRec
}

func (fl *flattener) ref(t *debuginfo.Type) int32 {
	if t == nil {
		return 0
	}
	if i, ok := fl.index[t]; ok {
		return i
	}
	fl.types = append(fl.types, typeRec{})
	i := int32(len(fl.types))
	fl.index[t] = i
	r := typeRec{Kind: t.Kind, Name: t.Name, GoName: t.GoName, Size: t.Size, Count: t.Count,
		Char: t.Char, EmptyInterface: t.EmptyInterface, Enumerators: t.Enumerators}
	r.Elem, r.Key = fl.ref(t.Elem), fl.ref(t.Key)
	for _, f := range t.Members() {
		r.Fields = append(r.Fields, fieldRec{Name: f.Name, Type: fl.ref(f.Type), Offset: f.Offset, BitSize: f.BitSize, BitOffset: f.BitOffset})
	}
	fl.types[i-1] = r
	return i
}

func (fl *flattener) vars(vs []debuginfo.Variable) []varRec {
	var out []varRec
	for _, v := range vs {
		out = append(out, varRec{Name: v.Name, Type: fl.ref(v.Type), Result: v.Result, Location: v.Location, LocList: v.LocList})
	}
	return out
}

// flatten turns functions into their persisted records and type table.
func flatten(fns []Func) ([]funcRec, []typeRec) {
	fl := &flattener{index: map[*debuginfo.Type]int32{}}
	var out []funcRec
	for _, x := range fns {
		f := x.F
		out = append(out, funcRec{Name: f.Name, LinkageName: f.LinkageName, Symbol: f.Symbol, CPP: f.CPP,
			UnskippedBody: f.UnskippedBody, Lang: f.Lang, File: f.File, Line: f.Line, Entry: f.Entry, End: f.End,
			Params: fl.vars(f.Params), Results: fl.vars(f.Results), Return: fl.ref(f.Return),
			NoTypes: f.NoTypes, Inlined: f.Inlined, Module: f.Module,
			Layout: x.Layout, Body: x.Body, Rets: x.Rets, ParamLocs: x.Params, ResultLocs: x.Results,
			TypesFrom: x.TypesFrom, TypesWhyNot: x.TypesWhyNot, RetsOK: x.RetsOK, HomesOK: x.HomesOK, Check: x.Check})
	}
	return out, fl.types
}

var errBadRef = errors.New("type reference out of range")

// unflatten rebuilds the functions of records; a record naming a type
// outside the table (a damaged file) is an error, never a panic.
func unflatten(recs []funcRec, types []typeRec) ([]Func, error) {
	ts := make([]debuginfo.Type, len(types))
	at := func(i int32) (*debuginfo.Type, error) {
		switch {
		case i == 0:
			return nil, nil
		case i < 0 || int(i) > len(ts):
			return nil, fmt.Errorf("%w: %d of %d", errBadRef, i, len(ts))
		}
		return &ts[i-1], nil
	}
	var err error
	for i, r := range types {
		t := &ts[i]
		*t = debuginfo.Type{Kind: r.Kind, Name: r.Name, GoName: r.GoName, Size: r.Size, Count: r.Count,
			Char: r.Char, EmptyInterface: r.EmptyInterface, Enumerators: r.Enumerators}
		if t.Elem, err = at(r.Elem); err != nil {
			return nil, err
		}
		if t.Key, err = at(r.Key); err != nil {
			return nil, err
		}
		if r.Fields != nil {
			t.Fields = make([]debuginfo.Field, len(r.Fields))
		}
		for j, f := range r.Fields {
			ft, err := at(f.Type)
			if err != nil {
				return nil, err
			}
			t.Fields[j] = debuginfo.Field{Name: f.Name, Type: ft, Offset: f.Offset, BitSize: f.BitSize, BitOffset: f.BitOffset}
		}
	}
	vars := func(rs []varRec) ([]debuginfo.Variable, error) {
		var out []debuginfo.Variable
		for _, r := range rs {
			t, err := at(r.Type)
			if err != nil {
				return nil, err
			}
			out = append(out, debuginfo.Variable{Name: r.Name, Type: t, Result: r.Result, Location: r.Location, LocList: r.LocList})
		}
		return out, nil
	}
	var out []Func
	for _, r := range recs {
		f := &debuginfo.Function{Name: r.Name, LinkageName: r.LinkageName, Symbol: r.Symbol, CPP: r.CPP,
			UnskippedBody: r.UnskippedBody, Lang: r.Lang, File: r.File, Line: r.Line, Entry: r.Entry, End: r.End,
			NoTypes: r.NoTypes, Inlined: r.Inlined, Module: r.Module}
		if f.Params, err = vars(r.Params); err != nil {
			return nil, err
		}
		if f.Results, err = vars(r.Results); err != nil {
			return nil, err
		}
		if f.Return, err = at(r.Return); err != nil {
			return nil, err
		}
		out = append(out, Func{F: f, Layout: r.Layout, Body: r.Body, Rets: r.Rets,
			Params: r.ParamLocs, Results: r.ResultLocs, TypesFrom: r.TypesFrom, TypesWhyNot: r.TypesWhyNot,
			RetsOK: r.RetsOK, HomesOK: r.HomesOK, Check: r.Check})
	}
	return out, nil
}
