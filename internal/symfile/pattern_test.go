package symfile

import (
	"strings"
	"testing"
)

func TestPattern(t *testing.T) {
	names := []string{
		"main.Add", "main.(*T).M", "main.T.M", "main.(*S).M", "main.(*U).Get", "main.(xU).Get",
		"main.Sum[go.shape.int]", "main.Sum[go.shape.int8]", "type:.eq.[2]interface {}",
		`type:.eq.struct { F int "json:\"f\"" }`,
	}
	m := NewMatcher(names)
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"main.Add", "main.Add", true},
		{"main.(*T).M", "main.(?T).M", true}, // main.(*S).M differs in a fixed byte
		{"main.(*U).Get", "main.(?U).Get", false},
		{"main.Sum[go.shape.int]", "main.Sum?go.shape.int?", true},
		{"type:.eq.[2]interface {}", "type:.eq.?2?interface {}", true},
		{`type:.eq.struct { F int "json:\"f\"" }`, `type:.eq.struct { F int ?json:??f??? }`, true},
		{"main.(*Gone).M", "main.(?Gone).M", false}, // matches nothing
	} {
		got, ok := m.Pattern(tc.name)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Pattern(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
		if strings.ContainsAny(got, "*[]\\\"") {
			t.Errorf("Pattern(%q) = %q keeps a character stap reads specially", tc.name, got)
		}
	}
}

func TestProbeNames(t *testing.T) {
	funcs := []Func{
		{"main.a", 0x1000, 0x1010},
		{"main.(*U).Get", 0x1010, 0x1020},
		{"main.(xU).Get", 0x1020, 0x1030},
		{"main.dup", 0x1030, 0x1040},
		{"main.dup", 0x1040, 0x1050},
		{"main.f@v1", 0x1050, 0x1060},
		{"main.(*T).M", 0x1060, 0x1070},
	}
	sites := []uint64{0x1008, 0x1000, 0x1066}
	n := probeNames(funcs, sites)
	want := map[uint64]string{
		0x1000: "main.a", // a site at an entry keeps the entry's name
		0x1008: "stapgen.pc.0x1008",
		0x1010: "stapgen.pc.0x1010", // its pattern would match main.(xU).Get
		0x1020: "main.(xU).Get",     // no wildcard: matched exactly
		0x1030: "stapgen.pc.0x1030", // shared name
		0x1040: "stapgen.pc.0x1040",
		0x1050: "stapgen.pc.0x1050", // stap splits a spec at '@'
		0x1060: "main.(?T).M",
		0x1066: "stapgen.pc.0x1066",
	}
	for a, w := range want {
		if got := n.byAddr[a]; got != w {
			t.Errorf("name for 0x%x = %q, want %q", a, got, w)
		}
	}
	if len(n.byAddr) != len(want) {
		t.Errorf("%d names, want %d: %v", len(n.byAddr), len(want), n.byAddr)
	}
	// Every alias named must be a symbol of the file, once.
	count := map[string]int{}
	for _, s := range n.symbols(funcs, sites) {
		count[s.name]++
	}
	for a, w := range want {
		if strings.HasPrefix(w, AliasPrefix) && count[w] != 1 {
			t.Errorf("alias %s for 0x%x appears %d times in the symbol table", w, a, count[w])
		}
	}
}
