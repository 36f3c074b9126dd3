package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/spec"
)

// buildAgg plans an aggregate request over retFns, as the command line
// hands it over (normalized).
func buildAgg(t *testing.T, rt spec.Runtime, fn string, agg string, by string, ret bool, interval bool) (*Plan, error) {
	t.Helper()
	kind, of, err := spec.ParseAggregate(agg)
	if err != nil {
		t.Fatal(err)
	}
	req := spec.Request{Runtime: rt, Probes: []spec.Probe{{Function: fn, Entry: true, Return: ret}}, Aggregate: kind, AggOf: of}
	if by != "" {
		req.By = &paths(t, by)[0]
	}
	if interval {
		req.Interval = 1e9
	}
	if err := req.Normalize(); err != nil {
		t.Fatal(err)
	}
	return Build(Inputs{Request: &req, Target: Target{Path: "/bin/x"}, Funcs: retFns, Go: facts{}})
}

// TestStatSites: a statistic lives where its path is read, typed as
// the DWARF says.
func TestStatSites(t *testing.T) {
	for _, tc := range []struct {
		name, fn, agg, by string
		ret               bool
		site              event.Site
		key               string // the Key's Go type, "" for none
		lat               bool
	}{
		{"sum of a parameter at the entry", "r_void", "sum:k", "", false, event.SiteEntry, "", false},
		{"count by a parameter", "r_void", "count", "k", false, event.SiteEntry, "IntKey", false},
		{"top of a string parameter", "r_str", "top:s", "", false, event.SiteEntry, "StrKey", false},
		{"count by the return value", "r_ulong", "count", "return", true, event.SiteReturn, "IntKey", false},
		{"top of a member of the return value", "r_ptr", "top:return->id", "", true, event.SiteReturn, "IntKey", false},
		{"latency by the return value", "r_enum", "latency", "return", false, event.SiteReturn, "IntKey", true},
		{"latency by a parameter, its entry value", "r_enum", "latency", "m", false, event.SiteReturn, "IntKey", true},
		{"top of a Go string", "main.Str", "top:s", "", false, event.SiteEntry, "StrKey", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := buildAgg(t, spec.RuntimeKernel, tc.fn, tc.agg, tc.by, tc.ret, false)
			if err != nil {
				t.Fatal(err)
			}
			var with []Probe
			for _, pr := range p.Probes {
				if pr.Stat != nil {
					with = append(with, pr)
				}
			}
			if len(with) != 1 || with[0].Site != tc.site || with[0].Stat.Lat != tc.lat {
				t.Fatalf("probes with a statistic: %+v", with)
			}
			key := ""
			if with[0].Stat.Key != nil {
				key = kindName(with[0].Stat.Key)
			}
			if key != tc.key {
				t.Errorf("key %s, want %s", key, tc.key)
			}
			if s := p.Schema.Probes[with[0].Index].Stat; s == nil || s.Kind != string(p.Aggregate) {
				t.Errorf("schema %+v", s)
			}
		})
	}
}

// TestStatRefused: what no site reads, what is not a number, and what
// stapbpf cannot do are refused with the reason.
func TestStatRefused(t *testing.T) {
	for _, tc := range []struct {
		rt            spec.Runtime
		fn, agg, by   string
		ret, interval bool
		says          string
	}{
		{spec.RuntimeKernel, "r_void", "sum:nope", "", false, false, "reads no such value"},
		{spec.RuntimeKernel, "r_ulong", "count", "return", false, false, "add --return"},
		{spec.RuntimeKernel, "r_double", "sum:d", "", false, false, "a sum adds integers"},
		{spec.RuntimeKernel, "r_ptr", "top:return", "", true, false, ""},
		{spec.RuntimeKernel, "r_void", "sum:k", "return", true, false, "not readable where"},
		{spec.RuntimeBPF, "r_str", "top:s", "", false, false, "string keys need the kernel runtime"},
		{spec.RuntimeBPF, "r_void", "count", "k", false, true, "cannot loop over keys"},
	} {
		_, err := buildAgg(t, tc.rt, tc.fn, tc.agg, tc.by, tc.ret, tc.interval)
		if tc.says == "" {
			if err != nil {
				t.Errorf("%s %s by %q: %v", tc.fn, tc.agg, tc.by, err)
			}
			continue
		}
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s %s by %q on %s: err = %v, want one saying %q", tc.fn, tc.agg, tc.by, tc.rt, err, tc.says)
		}
	}
}

// TestStatRunTotals: --interval on BPF keeps running totals of the counts.
func TestStatRunTotals(t *testing.T) {
	p, err := buildAgg(t, spec.RuntimeBPF, "r_void", "sum:k", "", false, true)
	if err != nil || !p.RunTotals {
		t.Fatalf("RunTotals %v, err %v", p != nil && p.RunTotals, err)
	}
}

func kindName(k Key) string {
	switch k.(type) {
	case IntKey:
		return "IntKey"
	case StrKey:
		return "StrKey"
	}
	return "?"
}

// TestStatGoLatencyByParam: a Go return cannot read the parameters, so
// the entry keeps the key for it, and only the return's statistic prints.
func TestStatGoLatencyByParam(t *testing.T) {
	p, err := buildAgg(t, spec.RuntimeKernel, "main.Str", "latency", "s", false, false)
	if err != nil {
		t.Fatal(err)
	}
	var entry, ret *Stat
	for _, pr := range p.Probes {
		switch pr.Site {
		case event.SiteEntry:
			entry = pr.Stat
		case event.SiteReturn:
			ret = pr.Stat
			if p.Schema.Probes[pr.Index].Stat == nil {
				t.Error("the return's statistic is not in the schema")
			}
		}
	}
	if entry == nil || !entry.Stash || kindName(entry.Key) != "StrKey" || ret == nil || !ret.Lat {
		t.Fatalf("entry %+v, return %+v", entry, ret)
	}
	if k := ret.FromEntry(); k == nil || !k.Str || !k.Goid {
		t.Errorf("the return keys by %+v", ret.Key)
	}
}
