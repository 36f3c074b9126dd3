package plan

import (
	"errors"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/spec"
	"github.com/stapgen/stapgen/internal/stap"
)

type multiResolver map[string][]*debuginfo.Function

func (r multiResolver) Match(ps ...string) ([]*debuginfo.Function, error) {
	var out []*debuginfo.Function
	for _, p := range ps {
		out = append(out, r[p]...)
	}
	if len(out) == 0 {
		return nil, errors.New("not found")
	}
	return out, nil
}

// TestOverloads: each C++ overload is its own probe, placed by its linkage
// name (stap refused one function("area") probe reading both's
// parameters), named by its signature and reading its own parameters.
func TestOverloads(t *testing.T) {
	tDouble := &debuginfo.Type{Kind: debuginfo.KindFloat, Name: "double", Size: 8}
	// As the C++ fixture declares them: area(long w, long h), area(double r).
	wh := &debuginfo.Function{Name: "shop::geo::area", LinkageName: "_ZN4shop3geo4areaEll", CPP: true, Entry: 0x10,
		Params: []debuginfo.Variable{{Name: "w", Type: tInt, Location: "reg rdi"}, {Name: "h", Type: tInt, Location: "reg rsi"}}}
	r := &debuginfo.Function{Name: "shop::geo::area", LinkageName: "_ZN4shop3geo4areaEd", CPP: true, Entry: 0x40,
		Params: []debuginfo.Variable{{Name: "r", Type: tDouble, Location: "reg xmm0"}}}
	req := spec.Request{Probes: []spec.Probe{{Function: "shop::geo::area", Entry: true}}}
	p, err := Build(Inputs{Request: &req, Target: Target{Path: "/bin/x"}, Funcs: multiResolver{"shop::geo::area": {wh, r}}, Stap: stap.Version{}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ fn, point, fields string }{
		{"shop::geo::area(long int w, long int h)", "_ZN4shop3geo4areaEll", "w h"},
		{"shop::geo::area(double r)", "_ZN4shop3geo4areaEd", "r"},
	}
	if len(p.Probes) != len(want) {
		t.Fatalf("%d probes, want %d", len(p.Probes), len(want))
	}
	for i, w := range want {
		pr := p.Probes[i]
		var names string
		for _, f := range pr.Fields {
			if names != "" {
				names += " "
			}
			names += f.Name
		}
		if pr.Function != w.fn || pr.Points[0].Name != w.point || names != w.fields || pr.Site != event.SiteEntry {
			t.Errorf("probe %d: %s at %s reads %q, want %s at %s reading %q", i, pr.Function, pr.Points[0].Name, names, w.fn, w.point, w.fields)
		}
	}
}

// TestTemplateEntryPastPrologue: an -O0 template instance, where stap
// would fire at the entry before the parameters are stored, is probed at
// the address after its prologue; its return stays a .function probe, and
// a function in registers (-O2) keeps stap's own point.
func TestTemplateEntryPastPrologue(t *testing.T) {
	big := &debuginfo.Function{Name: "shop::biggest<long int>", LinkageName: "_ZN4shop7biggestIlEET_S1_S1_", CPP: true,
		Entry: 0x152b, UnskippedBody: 0x153b, Return: tInt,
		Params: []debuginfo.Variable{{Name: "a", Type: tInt, Location: "fbreg-40"}, {Name: "b", Type: tInt, Location: "fbreg-48"}}}
	inRegs := *big
	inRegs.Params = []debuginfo.Variable{{Name: "a", Type: tInt, Location: "reg rdi"}, {Name: "b", Type: tInt, Location: "reg rsi"}}
	for _, c := range []struct {
		f    *debuginfo.Function
		kind PointKind
	}{{big, PointAddress}, {&inRegs, PointFunction}} {
		req := spec.Request{Probes: []spec.Probe{{Function: "shop::biggest<long int>", Entry: true, Return: true}}}
		p, err := Build(Inputs{Request: &req, Target: Target{Path: "/bin/x"}, Funcs: multiResolver{"shop::biggest<long int>": {c.f}}, Stap: stap.Version{}})
		if err != nil {
			t.Fatal(err)
		}
		entry, ret := p.Probes[0].Points[0], p.Probes[1].Points[0]
		if entry.Kind != c.kind || c.kind == PointAddress && entry.Addr != 0x153b {
			t.Errorf("%s: entry point %+v", c.f.Params[0].Location, entry)
		}
		if ret.Kind != PointFunction || !ret.Return || ret.Name != "_ZN4shop7biggestIlEET_S1_S1_" {
			t.Errorf("return point %+v", ret)
		}
	}
}
