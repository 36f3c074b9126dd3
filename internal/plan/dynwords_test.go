package plan

import (
	"reflect"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
)

// ifaceFacts place main.Check(e error, x any) as the register ABI does
// (e in rax, rbx; x in rcx, rdi), in a PIE with type metadata.
type ifaceFacts struct{ facts }

func (ifaceFacts) Homes(*debuginfo.Function) ([]goabi.Loc, []goabi.Loc, error) {
	regs := func(a, b string) goabi.Loc {
		return goabi.Loc{Pieces: []goabi.Piece{{Reg: a, Size: 8}, {Reg: b, Off: 8, Size: 8}}}
	}
	return []goabi.Loc{regs("rax", "rbx"), regs("rcx", "rdi")}, nil, nil
}

func (ifaceFacts) GoTypes() (*GoTypes, error) { return &GoTypes{Base: 0x4c0000, PIE: true}, nil }

// TestBPFInterfaceWords: on the BPF runtime an interface parameter reads
// as the words its dynamic type is named by after decoding: an error's
// itab's second word (its type), an any's type word itself, the data
// word and the word it points at, through the binary's 8-byte type, with
// the PIE's bias. From its ABI registers, even where DWARF gives a
// location stap could read (Go 1.26 describes an any's as rax, rax,
// rbx).
func TestBPFInterfaceWords(t *testing.T) {
	data := &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "unsafe.Pointer", Size: 8}
	iface := func(name, first string, empty bool) *debuginfo.Type {
		return &debuginfo.Type{Kind: debuginfo.KindInterface, Name: name, Size: 16, EmptyInterface: empty,
			Fields: []debuginfo.Field{{Name: first, Type: data}, {Name: "data", Type: data, Offset: 8}}}
	}
	f := &debuginfo.Function{Name: "main.Check", Lang: debuginfo.LangGo, Entry: 0x2000, End: 0x2100,
		Params: []debuginfo.Variable{{Name: "e", Type: iface("error", "tab", false), LocList: true, Location: "reg0"}, {Name: "x", Type: iface("interface {}", "_type", true), LocList: true, Location: "reg2"}}}
	req := spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: f.Name}}}
	p, err := Build(Inputs{Request: &req, Target: Target{Path: "/bin/x", Symbols: true}, Funcs: resolver{f.Name: f}, Go: ifaceFacts{}, Stap: stap.Version{Major: 4, Minor: 8}})
	if err != nil {
		t.Fatal(err)
	}
	rax, rbx, rcx, rdi := UReg{Num: 0}, UReg{Num: 3}, UReg{Num: 2}, UReg{Num: 5}
	want := map[string]DynWords{
		"e": {Type: word(rax, 1), Data: rbx, Word: word(rbx, 0), Bias: true},
		"x": {Type: rcx, Data: rdi, Word: word(rdi, 0), Bias: true},
	}
	for _, fl := range p.Probes[0].Fields {
		if w, ok := want[fl.Name]; ok {
			delete(want, fl.Name)
			if fl.Enc != event.EncDynWords || !reflect.DeepEqual(fl.Value, w) {
				t.Errorf("%s: %s %#v, want %#v", fl.Name, fl.Enc, fl.Value, w)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("no fields %v in %+v", want, p.Probes[0].Fields)
	}
}
