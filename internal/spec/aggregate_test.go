package spec

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAggregate(t *testing.T) {
	for _, tc := range []struct {
		in, kind, of string
	}{
		{"count", "count", ""},
		{"latency", "latency", ""},
		{"sum:len", "sum", "len"},
		{"sum:name->len", "sum", "name.len"},
		{"top:return", "top", "return"},
		{"top:return->d_inode->i_ino", "top", "return.d_inode.i_ino"},
		{"sum:ctx:(struct x).n", "sum", "ctx:(struct x).n"},
		{"top:o.Flags[0]", "top", "o.Flags[0]"},
	} {
		kind, of, err := ParseAggregate(tc.in)
		got := ""
		if of != nil {
			got = of.String()
		}
		if err != nil || string(kind) != tc.kind || got != tc.of {
			t.Errorf("ParseAggregate(%q) = %q, %q, %v; want %q, %q", tc.in, kind, got, err, tc.kind, tc.of)
		}
	}
	for _, bad := range []string{"", "median", "sum", "sum:", "top:", "count:x", "latency:return", "sum:a$", "top:a b", "sum:a\"b"} {
		if _, _, err := ParseAggregate(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseAggregate(%q): err = %v", bad, err)
		}
	}
}

func TestNormalizeAggregate(t *testing.T) {
	p := func(s string) *Path {
		x, err := ParsePath(s)
		if err != nil {
			t.Fatal(err)
		}
		return &x
	}
	f := []Probe{{Function: "f"}}
	// top:PATH is a count per value of PATH, 10 keys unless told.
	r := Request{Probes: f, Aggregate: AggTop, AggOf: p("name")}
	if err := r.Normalize(); err != nil || r.Aggregate != AggCount || r.By == nil || r.By.String() != "name" || r.AggOf != nil || r.Top != DefaultTop {
		t.Errorf("top:name normalized to %+v (%v)", r, err)
	}
	if err := r.Normalize(); err != nil || r.Aggregate != AggCount || r.Top != DefaultTop {
		t.Errorf("normalizing twice: %+v (%v)", r, err)
	}
	r = Request{Probes: f, Aggregate: AggSum, AggOf: p("len"), By: p("fd"), Top: 3}
	if err := r.Normalize(); err != nil || r.Top != 3 || r.AggOf.String() != "len" {
		t.Errorf("sum:len by fd: %+v (%v)", r, err)
	}
	for _, tc := range []struct {
		r    Request
		says string
	}{
		{Request{Probes: f, By: p("fd")}, "--by and --keys"},
		{Request{Probes: f, Aggregate: AggCount, Top: 3}, "add --by"},
		{Request{Probes: f, Aggregate: AggTop, AggOf: p("a"), By: p("b")}, "drop --by"},
		{Request{Probes: f, Aggregate: AggSum}, "needs a value"},
		{Request{Probes: f, Aggregate: AggCount, AggOf: p("a")}, "takes no value"},
		{Request{Probes: f, Aggregate: AggCount, By: p("a"), Top: MaxTop + 1}, "want 1.."},
		{Request{Probes: f, Aggregate: AggCount, By: p("a$")}, "whole value"},
		{Request{Probes: f, Interval: 1e9}, "--interval prints aggregates"},
	} {
		err := tc.r.Normalize()
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%+v: err = %v, want one saying %q", tc.r, err, tc.says)
		}
	}
}

func TestAggregateDirective(t *testing.T) {
	f, err := ParseFile(strings.NewReader("probe read_block\naggregate sum:len by fd keys 5\n"), "x.probe")
	if err != nil {
		t.Fatal(err)
	}
	r := f.Request
	if r.Aggregate != AggSum || r.AggOf.String() != "len" || r.By.String() != "fd" || r.Top != 5 {
		t.Errorf("parsed %+v", r)
	}
	f, err = ParseFile(strings.NewReader("probe f\naggregate top:return\n"), "x.probe")
	if err != nil || f.Request.Aggregate != AggTop || f.Request.AggOf.String() != "return" {
		t.Errorf("top:return: %+v, %v", f, err)
	}
	for _, bad := range []string{"aggregate", "aggregate sum", "aggregate count by", "aggregate count keys 0", "aggregate count keys x", "aggregate count sideways 1", "aggregate count by a$b"} {
		if _, err := ParseFile(strings.NewReader(bad+"\n"), "bad.probe"); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}
