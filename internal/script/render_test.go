package script

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
	"github.com/stapgen/stapgen/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Hand-built types mirroring the fixtures; the real ones come from DWARF
// and are exercised by the command package's end-to-end tests.
var (
	tInt    = &debuginfo.Type{Kind: debuginfo.KindInt, Name: "long int", GoName: "int", Size: 8}
	tUint32 = &debuginfo.Type{Kind: debuginfo.KindUint, Name: "uint32", GoName: "uint32", Size: 4}
	tU8     = &debuginfo.Type{Kind: debuginfo.KindUint, Name: "uint8", GoName: "uint8", Size: 1}
	tPU8    = &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "uint8*", GoName: "*uint8", Size: 8, Elem: tU8}
	tGoStr  = &debuginfo.Type{Kind: debuginfo.KindString, Name: "struct string", GoName: "string", Size: 16,
		Fields: []debuginfo.Field{{Name: "str", Type: tPU8}, {Name: "len", Type: tInt, Offset: 8}}}
	tStrs = &debuginfo.Type{Kind: debuginfo.KindSlice, Name: "struct []string", GoName: "[]string", Size: 24, Elem: tGoStr,
		Fields: []debuginfo.Field{{Name: "array", Type: &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "string*", Size: 8, Elem: tGoStr}}, {Name: "len", Type: tInt, Offset: 8}, {Name: "cap", Type: tInt, Offset: 16}}}
	tOpts = &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "main.Opts", GoName: "main.Opts", Size: 56,
		Fields: []debuginfo.Field{{Name: "Name", Type: tGoStr}, {Name: "Flags", Type: tStrs, Offset: 16}, {Name: "Mode", Type: tUint32, Offset: 40}}}
	tPOpts = &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "main.Opts*", GoName: "*main.Opts", Size: 8, Elem: tOpts}
	tErr   = &debuginfo.Type{Kind: debuginfo.KindInterface, Name: "error", GoName: "error", Size: 16,
		Fields: []debuginfo.Field{{Name: "tab", Type: tPU8}, {Name: "data", Type: tPU8, Offset: 8}}}

	tCInt   = &debuginfo.Type{Kind: debuginfo.KindInt, Name: "int", Size: 4}
	tChar   = &debuginfo.Type{Kind: debuginfo.KindInt, Name: "char", Size: 1, Char: true}
	tCStr   = &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "char const*", Size: 8, Elem: tChar}
	tPoint  = &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "struct point", Size: 8, Fields: []debuginfo.Field{{Name: "x", Type: tCInt}, {Name: "y", Type: tCInt, Offset: 4}}}
	tNode   = &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "struct node", Size: 48}
	tPNode  = &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "struct node*", Size: 8, Elem: tNode}
	tQstr   = &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "struct qstr", Size: 16}
	tPQstr  = &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "struct qstr const*", Size: 8, Elem: tQstr}
	tDentry = &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "struct dentry*", Size: 8, Elem: &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "struct dentry"}}
	tUInt   = &debuginfo.Type{Kind: debuginfo.KindUint, Name: "unsigned int", Size: 4}
	tDouble = &debuginfo.Type{Kind: debuginfo.KindFloat, Name: "double", Size: 8}
	tFloat  = &debuginfo.Type{Kind: debuginfo.KindFloat, Name: "float", Size: 4}
	tColor  = &debuginfo.Type{Kind: debuginfo.KindEnum, Name: "enum color", Size: 4,
		Enumerators: []debuginfo.Enumerator{{Name: "RED", Value: 0}, {Name: "GREEN", Value: 5}, {Name: "BLUE", Value: 6}}}
	tInode = &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "struct inode", Size: 600,
		Fields: []debuginfo.Field{{Name: "i_ino", Type: &debuginfo.Type{Kind: debuginfo.KindUint, Name: "long unsigned int", Size: 8}, Offset: 64}}}
	tDentryR = &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "struct dentry*", Size: 8, Elem: &debuginfo.Type{Kind: debuginfo.KindStruct, Name: "struct dentry", Size: 192,
		Fields: []debuginfo.Field{{Name: "d_inode", Type: &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "struct inode*", Size: 8, Elem: tInode}, Offset: 48}}}}
)

func init() {
	tNode.Fields = []debuginfo.Field{{Name: "name", Type: tCStr}, {Name: "pt", Type: tPoint, Offset: 8}, {Name: "next", Type: tPNode, Offset: 16}}
	tQstr.Fields = []debuginfo.Field{{Name: "hash", Type: tUInt}, {Name: "len", Type: tUInt, Offset: 4}, {Name: "name", Type: &debuginfo.Type{Kind: debuginfo.KindPointer, Name: "unsigned char const*", Size: 8, Elem: &debuginfo.Type{Kind: debuginfo.KindUint, Name: "unsigned char", Size: 1, Char: true}}, Offset: 8}}
}

type fakeFuncs map[string]*debuginfo.Function

func (f fakeFuncs) Match(p ...string) ([]*debuginfo.Function, error) {
	var out []*debuginfo.Function
	for _, n := range p {
		if fn, ok := f[n]; ok {
			out = append(out, fn)
		}
	}
	return out, nil
}

// goFacts gives the ABIInternal homes of the fixture functions used here.
type goFacts struct{}

func regs(names ...string) goabi.Loc {
	var h goabi.Loc
	for i, n := range names {
		h.Pieces = append(h.Pieces, goabi.Piece{Reg: n, Off: int64(i) * 8, Size: 8})
	}
	return h
}

func (goFacts) Homes(f *debuginfo.Function) ([]goabi.Loc, []goabi.Loc, error) {
	switch f.Name {
	case "main.Str":
		return []goabi.Loc{regs("rax", "rbx")}, []goabi.Loc{regs("rax")}, nil
	case "main.Ptr":
		return []goabi.Loc{regs("rax")}, []goabi.Loc{regs("rax")}, nil
	case "main.Many":
		var ps []goabi.Loc
		for _, r := range []string{"rax", "rbx", "rcx", "rdi", "rsi", "r8", "r9", "r10", "r11"} {
			ps = append(ps, regs(r))
		}
		ps = append(ps, goabi.Loc{Stack: true, Off: 0}, goabi.Loc{Stack: true, Off: 8})
		return ps, []goabi.Loc{regs("rax")}, nil
	case "main.Strs":
		return []goabi.Loc{regs("rax", "rbx", "rcx")}, []goabi.Loc{regs("rax")}, nil
	case "main.Multi":
		return []goabi.Loc{regs("rax"), regs("rbx", "rcx")}, []goabi.Loc{regs("rax"), regs("rbx", "rcx"), regs("rdi", "rsi")}, nil
	}
	return nil, nil, nil
}
func (goFacts) Rets(f *debuginfo.Function) ([]uint64, error) {
	if goRets != nil {
		return goRets[f.Name], nil
	}
	return []uint64{0x4a0010, 0x4a0020}, nil
}
func (goFacts) GoidOffset() (int64, error) { return 152, nil }
func (goFacts) StackCheck(f *debuginfo.Function) (plan.StackCheck, bool) {
	if f.Name == "main.Many" {
		return plan.StackCheck{Frame: 0x88, Guard: 16}, true
	}
	return plan.StackCheck{Guard: 16}, true
}

func goFuncs() fakeFuncs {
	many := &debuginfo.Function{Name: "main.Many", Lang: debuginfo.LangGo, Results: []debuginfo.Variable{{Name: "~r0", Type: tInt, Result: true}}}
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		many.Params = append(many.Params, debuginfo.Variable{Name: n, Type: tInt})
	}
	many.Params = append(many.Params, debuginfo.Variable{Name: "s", Type: tGoStr})
	return fakeFuncs{
		"main.Str":  {Name: "main.Str", Lang: debuginfo.LangGo, Params: []debuginfo.Variable{{Name: "s", Type: tGoStr, Location: "reg rax", LocList: true}}, Results: []debuginfo.Variable{{Name: "~r0", Type: tInt, Result: true}}},
		"main.Ptr":  {Name: "main.Ptr", Lang: debuginfo.LangGo, Params: []debuginfo.Variable{{Name: "o", Type: tPOpts, Location: "reg rax", LocList: true}}, Results: []debuginfo.Variable{{Name: "~r0", Type: tInt, Result: true}}},
		"main.Strs": {Name: "main.Strs", Lang: debuginfo.LangGo, Params: []debuginfo.Variable{{Name: "xs", Type: tStrs}}, Results: []debuginfo.Variable{{Name: "~r0", Type: tInt, Result: true}}},
		"main.Many": many,
		"main.Multi": {Name: "main.Multi", Lang: debuginfo.LangGo, Params: []debuginfo.Variable{{Name: "n", Type: tInt, Location: "reg rax", LocList: true}, {Name: "s", Type: tGoStr, Location: "reg rbx", LocList: true}},
			Results: []debuginfo.Variable{{Name: "count", Type: tInt, Result: true}, {Name: "msg", Type: tGoStr, Result: true}, {Name: "err", Type: tErr, Result: true}}},
	}
}

func cFuncs() fakeFuncs {
	return fakeFuncs{
		"greet":    {Name: "greet", Params: []debuginfo.Variable{{Name: "who", Type: tCStr}, {Name: "n", Type: &debuginfo.Type{Kind: debuginfo.KindUint, Name: "size_t", Size: 8}}}, Return: tCInt},
		"scale":    {Name: "scale", Params: []debuginfo.Variable{{Name: "d", Type: tDouble, Location: "fbreg-24"}, {Name: "f", Type: tFloat, Location: "fbreg-28"}}, Return: tDouble},
		"paint":    {Name: "paint", Params: []debuginfo.Variable{{Name: "c", Type: tColor, Location: "fbreg-20"}}, Return: tColor},
		"walk":     {Name: "walk", Params: []debuginfo.Variable{{Name: "n", Type: tPNode}}},
		"by_value": {Name: "by_value", Params: []debuginfo.Variable{{Name: "p", Type: tPoint}}},
	}
}

// ufixFuncs is fixtures/ufix at -O2 as its DWARF has it (readelf
// --debug-dump=loc): every parameter in its ABI register at the entry.
func ufixFuncs() fakeFuncs {
	reg := func(name, loc string, t *debuginfo.Type) debuginfo.Variable {
		return debuginfo.Variable{Name: name, Type: t, Location: loc, LocList: true}
	}
	return fakeFuncs{"u_mix": {Name: "u_mix", Params: []debuginfo.Variable{reg("seq", "reg rdi", tCInt), reg("base", "reg rsi", tInt), reg("mask", "reg rdx", tUInt),
		reg("tag", "reg rcx", &debuginfo.Type{Kind: debuginfo.KindUint, Name: "short unsigned int", Size: 2})}, Return: tUInt}}
}

// ufixBin is the ufix binary the scripts name: a path for the goldens,
// the built fixture where stap checks them.
var ufixBin = "/usr/local/bin/ufix"

// fakeTypes finds the 8-byte integer types a fixture's DWARF has (the
// BPF runtime reads C strings' words through one): cfix's size_t is a
// "long unsigned int", ufix has "long int".
type fakeTypes struct {
	path  string
	names []string
}

func (f fakeTypes) CastType(name, module string) (*debuginfo.Type, string, error) {
	if module == "" && slices.Contains(f.names, name) {
		return &debuginfo.Type{Kind: debuginfo.KindUint, Name: name, Size: 8}, f.path, nil
	}
	return nil, "", fmt.Errorf("no type %q in %s", name, f.path)
}

func kernelFuncs() fakeFuncs {
	return fakeFuncs{"lookup_one_qstr_excl": {Name: "lookup_one_qstr_excl", Params: []debuginfo.Variable{{Name: "name", Type: tPQstr, Location: "reg rdi"}, {Name: "base", Type: tDentry}, {Name: "flags", Type: tUInt}}, Return: tDentryR}}
}

// moduleFuncs are functions of the lab kernel's overlay module (stap -L:
// ovl_lookup $dir:struct inode* $dentry:struct dentry* $flags:unsigned
// int); inKernel marks them found through the target "kernel".
func moduleFuncs(inKernel bool) fakeFuncs {
	f := &debuginfo.Function{Name: "ovl_lookup", Params: []debuginfo.Variable{{Name: "dir", Type: tDentry}, {Name: "dentry", Type: tDentry}, {Name: "flags", Type: tUInt}}}
	if inKernel {
		f.Module = "overlay"
	}
	return fakeFuncs{"ovl_lookup": f, "lookup_one_qstr_excl": kernelFuncs()["lookup_one_qstr_excl"]}
}

func paths(t *testing.T, ps ...string) []spec.Path {
	var out []spec.Path
	for _, s := range ps {
		p, err := spec.ParsePath(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func path(t *testing.T, s string) *spec.Path { return &paths(t, s)[0] }

// norm is a request as the command line hands it over.
func norm(t *testing.T, r spec.Request) spec.Request {
	if err := r.Normalize(); err != nil {
		t.Fatal(err)
	}
	return r
}

func preds(t *testing.T, ps ...string) []spec.Filter {
	var out []spec.Filter
	for _, s := range ps {
		p, err := spec.ParseFilter(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

type genCase struct {
	name   string
	lang   string // go, c, kernel
	req    spec.Request
	stap   stap.Version
	golden bool
}

func genCases(t *testing.T) []genCase {
	return []genCase{
		{name: "go-entry-return", lang: "go", req: spec.Request{Probes: []spec.Probe{{Function: "main.Str", Entry: true, Return: true}, {Function: "main.Many", Entry: true}}}},
		{name: "go-paths-filter", lang: "go", req: spec.Request{Probes: []spec.Probe{{Function: "main.Ptr", Fields: paths(t, "o.Name", "o.Flags", "o.Mode")}}, Where: preds(t, `o.Name == "opt name"`), Process: "gofix", MaxEvents: 100}},
		{name: "go-slice-latency", lang: "go", req: spec.Request{Probes: []spec.Probe{{Function: "main.Strs"}}, Where: preds(t, "xs.len > 1"), Aggregate: spec.AggLatency}},
		{name: "go-bpf", lang: "go", req: spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "main.Str"}}}},
		// A raw Go string beside a filter and the target check.
		{name: "go-bpf-filter", lang: "go", req: spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "main.Str"}}, Where: preds(t, `s.len > 2 || s.len == 0`), InTarget: true}},
		{name: "go-bpf-stack", lang: "go", req: spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "main.Many", Fields: paths(t, "j", "s")}}}},
		// Members behind pointers print only where the pointers are not NULL.
		{name: "go-bpf-paths", lang: "go", req: spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "main.Ptr", Fields: paths(t, "o.Name", "o.Mode")}}}},
		{name: "c-bpf-paths", lang: "c", req: spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "walk", Fields: paths(t, "n->name", "n->pt.x", "n->next->pt.y", "n->next->name")}}}},
		// A string, then values behind its pointer: handlers of their own.
		{name: "c-bpf-string-beside-paths", lang: "c", req: spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "walk", Fields: paths(t, "n->name", "n->pt.x", "n->pt.y")}}}},
		// Go RETs under BPF (stap 5: address probes, -g): results read
		// with @uregister, an entry filter's mark checked at the RET by
		// each handler of the record, cleared by its last.
		{name: "go-bpf-return", lang: "go", stap: stap.Version{Major: 5, Minor: 1}, req: spec.Request{Runtime: spec.RuntimeBPF,
			Probes: []spec.Probe{{Function: "main.Str", Entry: true, Return: true}, {Function: "main.Multi", Entry: true, Return: true}}, Where: preds(t, `s.len > 2`)}},
		{name: "go-bpf-words", lang: "go-notypes", req: spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "main.Str"}}}},
		{name: "c-entry-return", lang: "c", req: spec.Request{Probes: []spec.Probe{{Function: "greet", Entry: true, Return: true}, {Function: "walk", Fields: paths(t, "n->name", "n->pt.x", "n->next")}, {Function: "by_value"}}, UserStack: true, Duration: 5e9}},
		{name: "c-bpf", lang: "c", req: spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "greet"}}}},
		// A shared library run with -c: records of target() alone.
		{name: "c-library-target", lang: "clib", req: spec.Request{Runtime: spec.RuntimeBPF, InTarget: true, Probes: []spec.Probe{{Function: "greet"}}}},
		{name: "c-return-typed", lang: "c", req: spec.Request{Probes: []spec.Probe{{Function: "scale", Entry: true, Return: true, Fields: paths(t, "d", "f")}, {Function: "paint", Return: true, Fields: paths(t, "c")}}}},
		{name: "c-bpf-return", lang: "c", req: spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "scale", Return: true}, {Function: "paint", Entry: true, Return: true}, {Function: "greet", Return: true, Fields: paths(t, "who")}}}},
		{name: "kernel-return", lang: "kernel", req: spec.Request{Probes: []spec.Probe{{Function: "lookup_one_qstr_excl", Entry: true, Return: true, Fields: paths(t, "return->d_inode->i_ino", "name->name")}}}},
		{name: "c-line", lang: "c", req: spec.Request{Probes: []spec.Probe{{Function: "cfix.c:26"}, {Function: "cfix.c:26", Fields: paths(t, "a", "b")}}}},
		{name: "kernel-line", lang: "kernel", req: spec.Request{Probes: []spec.Probe{{Function: "fs/namei.c:1597"}}}},
		{name: "module-entry-return", lang: "module", req: spec.Request{Probes: []spec.Probe{{Function: "ovl_lookup", Entry: true, Return: true}}}},
		{name: "kernel-module-function", lang: "kernel-module", req: spec.Request{Probes: []spec.Probe{{Function: "ovl_lookup"}, {Function: "lookup_one_qstr_excl"}}}},
		{name: "go-intarget", lang: "go", req: spec.Request{Probes: []spec.Probe{{Function: "main.Str"}}, InTarget: true}},
		// run -c: the descendants are kept as they start, no kernel types read.
		{name: "c-intarget-cmd", lang: "c", req: spec.Request{Probes: []spec.Probe{{Function: "greet"}}, InTarget: true, StartsTarget: true}},
		{name: "go-bpf-intarget", lang: "go", req: spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "main.Str"}}, InTarget: true}},
		{name: "go-aggregate", lang: "go", req: spec.Request{Probes: []spec.Probe{{Function: "main.Str"}, {Function: "main.Many"}}, Aggregate: spec.AggLatency, Interval: 5e9, InTarget: true}},
		{name: "c-bpf-aggregate", lang: "c", req: spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "greet"}}, Aggregate: spec.AggLatency, Events: true, InTarget: true}},
		// Filter expressions: ||, !, masks, a return value, per function.
		{name: "c-filter-expr", lang: "c", req: spec.Request{Probes: []spec.Probe{{Function: "greet", Entry: true, Return: true}, {Function: "walk"}},
			Where: preds(t, `greet { (n & 3) == 2 || !(who == "x y") }`, `greet { return < 0 || n > 2 }`, `walk { n->pt.x > 1 && !(n->pt.y & 4) }`)}},
		{name: "c-bpf-filter-expr", lang: "c", req: spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "greet", Entry: true, Return: true, Fields: paths(t, "n")}, {Function: "walk"}},
			Where: preds(t, `greet { !(n & 1) || n > 8 }`, `greet { return >= 0 && !(return & 2) }`, `walk { n->pt.x > 1 || n->pt.y == -1 }`)}},
		// A filter beside C strings under BPF: each string prints from a
		// handler of its own (the condition, the head and a string's words
		// overflowed stapbpf's stack), the first one before the head's.
		{name: "c-bpf-filter-strings", lang: "c", req: spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "greet", Fields: paths(t, "who", "n")},
			{Function: "walk", Fields: paths(t, "n->pt.x", "n->name", "n->pt.y")}},
			Where: preds(t, `greet { n > 8 }`, `walk { n->pt.x > 1 || !(n->pt.y & 4) }`)}},
		// Unsigned ints in registers at -O2 under BPF, printed, filtered
		// and returned: read as registers (stap's own reads do not load).
		{name: "c-bpf-uint-regs", lang: "ufix", req: spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "u_mix", Entry: true, Return: true, Fields: paths(t, "seq", "base", "mask", "tag")}},
			Where: preds(t, `(mask & 0xf) < 9`)}},
		{name: "kernel-filter-return", lang: "kernel", req: spec.Request{Probes: []spec.Probe{{Function: "lookup_one_qstr_excl", Return: true, Fields: paths(t, "name->name")}},
			Where: preds(t, `return->d_inode != 0 && !(flags & 0x200)`, `name->name == "a" || name->len > 3`)}},
		{name: "go-filter-return", lang: "go", req: spec.Request{Probes: []spec.Probe{{Function: "main.Str", Entry: true, Return: true}},
			Where: preds(t, `s.len > 1 || !(s.len & 1)`, `return == 3 || ~r0 < 0`)}},
		// Keyed and summed statistics (stat-*.stp.tmpl).
		{name: "c-sum-by-string", lang: "c", req: norm(t, spec.Request{Probes: []spec.Probe{{Function: "greet"}}, Aggregate: spec.AggSum, AggOf: path(t, "n"), By: path(t, "who"), Interval: 5e9})},
		{name: "c-latency-by-return", lang: "c", req: norm(t, spec.Request{Probes: []spec.Probe{{Function: "greet"}}, Aggregate: spec.AggLatency, By: path(t, "return"), Top: 3, InTarget: true})},
		{name: "c-bpf-sum-interval", lang: "c", req: norm(t, spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "greet"}}, Aggregate: spec.AggSum, AggOf: path(t, "n"), Interval: 1e9, InTarget: true})},
		{name: "c-bpf-latency-interval", lang: "c", req: norm(t, spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "greet"}}, Aggregate: spec.AggLatency, Interval: 1e9, InTarget: true})},
		{name: "c-bpf-top", lang: "c", req: norm(t, spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "greet"}}, Aggregate: spec.AggTop, AggOf: path(t, "n"), Top: 5, Events: true})},
		{name: "c-bpf-latency-by-return", lang: "c", req: norm(t, spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "greet"}}, Aggregate: spec.AggLatency, By: path(t, "return"), InTarget: true})},
		// Under BPF a Go entry keeps the key per goroutine for its RET.
		{name: "go-bpf-latency-by-param", lang: "go", stap: stap.Version{Major: 5, Minor: 1}, req: norm(t, spec.Request{Runtime: spec.RuntimeBPF, Probes: []spec.Probe{{Function: "main.Multi"}}, Aggregate: spec.AggLatency, By: path(t, "n")})},
		{name: "go-latency-by-param", lang: "go", req: norm(t, spec.Request{Probes: []spec.Probe{{Function: "main.Str"}}, Aggregate: spec.AggLatency, By: path(t, "s")})},
		{name: "go-top-string", lang: "go", req: norm(t, spec.Request{Probes: []spec.Probe{{Function: "main.Str"}}, Aggregate: spec.AggTop, AggOf: path(t, "s")})},
		{name: "kernel-sum-by", lang: "kernel", req: norm(t, spec.Request{Probes: []spec.Probe{{Function: "lookup_one_qstr_excl"}}, Aggregate: spec.AggSum, AggOf: path(t, "name->len"), By: path(t, "flags")})},
		{name: "kernel-lookup", lang: "kernel", req: spec.Request{Probes: []spec.Probe{{Function: "lookup_one_qstr_excl", Fields: paths(t, "name->name", "flags")}}, Where: preds(t, `name->name == "stapgen \"x\"%{"`), KernelStack: true}},
	}
}

func build(t *testing.T, tc genCase, goBin, cBin string) *plan.Plan {
	t.Helper()
	in := plan.Inputs{Request: &tc.req, Stap: tc.stap}
	switch tc.lang {
	case "go":
		in.Target, in.Funcs, in.Go, in.Types = plan.Target{Path: goBin, GoVersion: "go1.26"}, goFuncs(), goFacts{}, fakeTypes{goBin, []string{"uint64"}}
	case "go-notypes":
		// No DWARF types (a stripped binary's): BPF prints a Go string's words.
		in.Target, in.Funcs, in.Go = plan.Target{Path: goBin, GoVersion: "go1.26"}, goFuncs(), goFacts{}
	case "c":
		in.Target, in.Funcs, in.Types = plan.Target{Path: cBin}, cFuncs(), fakeTypes{cBin, []string{"long unsigned int"}}
	case "ufix":
		in.Target, in.Funcs, in.Types = plan.Target{Path: ufixBin}, ufixFuncs(), fakeTypes{ufixBin, []string{"long int"}}
	case "module":
		in.Target, in.Funcs = plan.Target{Kernel: true, Module: "overlay", Release: "6.1.0-57-cloud-amd64"}, moduleFuncs(false)
	case "kernel-module":
		in.Target, in.Funcs = plan.Target{Kernel: true, Release: "6.1.0-57-cloud-amd64"}, moduleFuncs(true)
	case "clib":
		in.Target, in.Funcs, in.Types = plan.Target{Path: cBin, Library: true}, cFuncs(), fakeTypes{cBin, []string{"long unsigned int"}}
	default:
		in.Target, in.Funcs = plan.Target{Kernel: true, Release: "6.1.0-47-cloud-amd64"}, kernelFuncs()
	}
	p, err := plan.Build(in)
	if err != nil {
		t.Fatalf("%s: %v", tc.name, err)
	}
	return p
}

func TestRenderGolden(t *testing.T) {
	for _, tc := range genCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			p := build(t, tc, "/usr/local/bin/gofix", "/usr/local/bin/cfix")
			var buf bytes.Buffer
			if err := Builtin().Render(&buf, p); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+".stp")
			if *update {
				os.WriteFile(golden, buf.Bytes(), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("script differs from %s (go test -update to accept):\n%s", golden, buf.String())
			}
			s, err := ReadSchema(buf.Bytes())
			if err != nil || len(s.Probes) != len(p.Probes) {
				t.Fatalf("schema round trip: %v", err)
			}
		})
	}
}

// TestRenderedScriptsPassStap checks every generated script with the real
// stap's parser and resolver (-p2), and compiles it (-p4), against the real
// fixture binaries: the
// host's stap 4.8 where it can resolve the probes, the lab's stap 5.1 for Go
// address probes (4.8 cannot place them in Go binaries) and for
// the kernel (the lab's Debian kernel and its vmlinux).
func TestRenderedScriptsPassStap(t *testing.T) {
	stap := testenv.NeedTool(t, "stap")
	build_ := testenv.HostBuildTree(t)
	stap51, err := lab.Stap(lab.Trixie)
	testenv.Need(t, err == nil, "%v", err)
	goBin := testenv.GoFixture(t, testenv.GoDefault)
	cBin := testenv.CFixture(t, testenv.CO0)
	golden := ufixBin
	ufixBin = testenv.CProgram(t, "ufix", testenv.CO2)
	goRets = objdumpRets(t, goBin)
	defer func() { ufixBin, goRets = golden, nil }()
	for _, tc := range genCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			p := build(t, tc, goBin, cBin)
			var buf bytes.Buffer
			if err := Builtin().Render(&buf, p); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			f := filepath.Join(dir, "s.stp")
			os.WriteFile(f, buf.Bytes(), 0o644)
			bin, args := stap, []string{"-r", build_}
			// The kernel runtime's descendant walk (-c/-x) reads task_struct,
			// which needs kernel types: the host's minimal build tree has
			// none, the lab kernel's does.
			needsKernel := strings.Contains(buf.String(), "__sg_descends(")
			if strings.HasPrefix(tc.lang, "kernel") || tc.lang == "module" || p.Guru || needsKernel || strings.Contains(buf.String(), ").statement(0x") {
				bin, args = stap51, []string{"-r", lab.Release()}
			}
			args = append(append(args, "-p2"), p.StapArgs...)
			if p.Runtime == spec.RuntimeBPF {
				args = append(args, "--runtime=bpf")
			}
			cmd := exec.Command(bin, append(args, f)...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s -p2: %v\n%s\n--- script:\n%s", filepath.Base(bin), err, out, buf.String())
			}
			if !strings.Contains(string(out), "# probes") {
				t.Fatalf("stap -p2 printed no probes:\n%s", out)
			}
			// Pass 4 builds what would run: a kernel module with stap 5.1
			// against the lab kernel, or a BPF program with the host stap.
			p4 := []string{"-r", lab.Release(), "-p4"}
			bin = stap51
			switch {
			case p.Runtime == spec.RuntimeBPF && p.Guru:
				// Go RET addresses: stap 5.1 compiles the BPF program,
				// with the build tree where its chroot sees it.
				p4 = []string{"-r", chrootBuildTree(t, build_), "-p4", "--runtime=bpf"}
			case p.Runtime == spec.RuntimeBPF:
				bin, p4 = stap, []string{"-r", build_, "-p4", "--runtime=bpf"}
			}
			cmd = exec.Command(bin, append(append(p4, p.StapArgs...), f)...)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s -p4: %v\n%s", filepath.Base(bin), err, out)
			}
		})
	}
}

// chrootBuildTree is a copy of the host build tree under the test's
// temporary directory, which the lab's stap 5.1 chroot mounts (the lab
// directory itself it does not).
func chrootBuildTree(t *testing.T, build string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "build")
	if out, err := exec.Command("cp", "-a", build, dir).CombinedOutput(); err != nil {
		t.Fatalf("copying the build tree: %v\n%s", err, out)
	}
	return dir
}

// TestMaxEventsCounterOnlyWhenKept: a script declares the --max-events
// record counter exactly when its probes use it. A BPF Go plan with
// restart records leaves the limit to the run (scriptMax): no counter.
func TestMaxEventsCounterOnlyWhenKept(t *testing.T) {
	render := func(p *plan.Plan) string {
		var buf bytes.Buffer
		if err := Builtin().Render(&buf, p); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	for _, tc := range genCases(t) {
		tc.req.MaxEvents = 7
		s := render(build(t, tc, "/usr/local/bin/gofix", "/usr/local/bin/cfix"))
		if declared, used := strings.Contains(s, "global __sg_events"), strings.Contains(s, "__sg_events++"); declared != used {
			t.Errorf("%s: counter declared %v, used %v", tc.name, declared, used)
		}
	}
	tc := genCases(t)[0]
	for _, c := range genCases(t) {
		if c.name == "go-bpf" {
			tc = c
		}
	}
	tc.req.MaxEvents = 7
	p := build(t, tc, "/usr/local/bin/gofix", "/usr/local/bin/cfix")
	restart := p.Probes[0]
	restart.Index, restart.Site, restart.Fields, restart.Split = len(p.Probes), event.SiteRestart, nil, nil
	p.Probes = append(p.Probes, restart)
	if s := render(p); strings.Contains(s, "__sg_events") {
		t.Errorf("a plan with restart records keeps a counter:\n%s", s)
	}
}
