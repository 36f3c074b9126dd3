package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stapgen/stapgen/internal/event"
)

var update = flag.Bool("update", false, "rewrite golden files")

var schema = &event.Schema{Version: 1, Probes: []event.ProbeSchema{
	{Function: "main.Str", Site: event.SiteEntry, Fields: []event.FieldSchema{{Name: "s", Enc: event.EncStr, Type: "string"}}},
	{Function: "main.Str", Site: event.SiteReturn, Fields: []event.FieldSchema{{Name: "~r0", Enc: event.EncInt, Type: "int"}}},
}}

// A recursion on goroutine 1 and an interleaved call on goroutine 2 of the
// same thread: pairing is by goroutine and innermost first.
const input = `@@sg1 0 1000000000 0 10 10 1 5:68656c6c6f
@@sg1 0 1000000500 0 10 10 2 3:616263
@@sg1 0 1000001000 0 10 10 1 300:7878
@@sg1 1 1000001100 0 10 10 1 300
@@sg1 1 1000002000 0 10 10 2 3
a line the program printed
@@sg1 1 1000100000 0 10 10 1 5
@@sg1 9 1 1 1 1 - x
`

func run(t *testing.T, sinks ...Sink) {
	d := event.NewDecoder(strings.NewReader(input), schema)
	m := Multi(sinks...)
	for {
		e, err := d.Next()
		if err != nil {
			break
		}
		if err := m.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func golden(t *testing.T, name string, got []byte) {
	p := filepath.Join("testdata", name)
	if *update {
		os.WriteFile(p, got, 0o644)
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update to accept):\n%s", name, got)
	}
}

func TestTextAndSummary(t *testing.T) {
	var text, sum bytes.Buffer
	run(t, NewText(&text, schema, TextOptions{}), NewSummary(&sum, schema))
	golden(t, "text.golden", text.Bytes())
	golden(t, "summary.golden", sum.Bytes())
	// Ground truth for the pairing: 100µs for the outer call on g1, 100ns
	// for the recursion inside it, 1.5µs on g2.
	if !strings.Contains(sum.String(), "3 calls, min 100ns, avg 33.9µs, max 100.0µs") {
		t.Errorf("latency line:\n%s", sum.String())
	}
}

func TestColourOnlyWhenAsked(t *testing.T) {
	var plain, col bytes.Buffer
	run(t, NewText(&plain, schema, TextOptions{}))
	run(t, NewText(&col, schema, TextOptions{Color: true}))
	if strings.Contains(plain.String(), "\033[") || !strings.Contains(col.String(), "\033[") {
		t.Error("colour escapes wrong")
	}
}

// TestJSONLines: one JSON object per input line, in input order, each with
// the values its record carries (hex 68656c6c6f is "hello", a length of 300
// with two bytes read is a truncated "xx"), raw lines and bad records kept.
func TestJSONLines(t *testing.T) {
	var out bytes.Buffer
	run(t, NewJSON(&out))
	type line struct {
		Probe, Site string
		TimeNS      int64 `json:"time_ns"`
		Goid        int64
		Fields      map[string]struct {
			Type      string
			Value     any
			Truncated bool
			Len       int
		}
		Raw, Error string
	}
	type want struct {
		site   string
		goid   int64
		time   int64
		field  string
		value  any
		trunc  bool
		length int
		raw    string
	}
	wants := []want{
		{"entry", 1, 1000000000, "s", "hello", false, 5, ""},
		{"entry", 2, 1000000500, "s", "abc", false, 3, ""},
		{"entry", 1, 1000001000, "s", "xx", true, 300, ""},
		{"return", 1, 1000001100, "~r0", 300.0, false, 0, ""},
		{"return", 2, 1000002000, "~r0", 3.0, false, 0, ""},
		{raw: "a line the program printed"},
		{"return", 1, 1000100000, "~r0", 5.0, false, 0, ""},
		{raw: "@@sg1 9 1 1 1 1 - x"},
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(wants) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(wants), out.String())
	}
	for i, l := range lines {
		var got line
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		w := wants[i]
		if w.raw != "" {
			if got.Raw != w.raw || got.Probe != "" {
				t.Errorf("line %d: %s, want the raw line %q", i, l, w.raw)
			}
			continue
		}
		f, ok := got.Fields[w.field]
		if got.Probe != "main.Str" || got.Site != w.site || got.Goid != w.goid || got.TimeNS != w.time || !ok ||
			f.Value != w.value || f.Truncated != w.trunc || f.Len != w.length {
			t.Errorf("line %d: %s\nwant %s goid %d at %d, %s = %v (truncated %v, len %d)", i, l, w.site, w.goid, w.time, w.field, w.value, w.trunc, w.length)
		}
	}
	// The record of an unknown probe says so.
	if !strings.Contains(lines[7], `"error":"unknown probe`) {
		t.Errorf("bad record without its error: %s", lines[7])
	}
}

func TestTopValues(t *testing.T) {
	var sum bytes.Buffer
	run(t, NewSummary(&sum, schema, SummaryOptions{Top: "~r0"}))
	if !strings.Contains(sum.String(), "top values of ~r0\n  1  3\n  1  300\n  1  5\n") {
		t.Errorf("top values:\n%s", sum.String())
	}
}

// TestTextAsFmtWroteIt: the table's lines, coloured or not and with a
// host, are what its fmt spelling wrote before it appended bytes itself
// ("%s %6d/%-6d%s %s %-6s%s\n", a time of day, a field's String).
func TestTextAsFmtWroteIt(t *testing.T) {
	vals := []event.Value{{Name: "s", Enc: event.EncStr, Bytes: []byte("a \"q\"\n"), Truncated: true}, {Name: "n", Enc: event.EncInt, Int: -3}, {Name: "m", Missing: true}}
	evs := []event.Event{
		{Probe: 0, Function: "main.Hit", Site: event.SiteEntry, Time: 1796138519843746811, PID: 7, TID: 1234567, Goid: 12, Fields: vals},
		{Probe: 0, Function: "f", Site: event.SiteReturn, Time: -5, PID: -1, TID: 123456, Goid: -1, Host: "h1"},
		{Probe: -1, Raw: "a line", Host: "h2"},
		{Probe: -1, Raw: "@@sg1 x", Err: "bad"},
	}
	for _, color := range []bool{false, true} {
		p := func(c, s string) string {
			if color {
				return c + s + reset
			}
			return s
		}
		var want strings.Builder
		for _, e := range evs {
			if e.Host != "" {
				want.WriteString(p(dim, "["+e.Host+"] "))
			}
			switch {
			case e.Err != "":
				fmt.Fprintf(&want, "%s %s\n", p(red, "! "+e.Err+":"), e.Raw)
			case e.Probe < 0:
				fmt.Fprintf(&want, "%s\n", p(dim, "| "+e.Raw))
			default:
				g := ""
				if e.Goid >= 0 {
					g = fmt.Sprintf(" g=%d", e.Goid)
				}
				fs := ""
				for _, f := range e.Fields {
					fs += " " + f.Name + "=" + f.String()
				}
				fmt.Fprintf(&want, "%s %6d/%-6d%s %s %-6s%s\n", time.Unix(0, e.Time).UTC().Format("15:04:05.000000"), e.PID, e.TID, g, p(bold, e.Function), e.Site, fs)
			}
		}
		var got bytes.Buffer
		s := NewText(&got, nil, TextOptions{Color: color})
		for _, e := range evs {
			s.Event(e)
		}
		s.Close()
		if got.String() != want.String() {
			t.Errorf("colour %v: got\n%q\nwant\n%q", color, got.String(), want.String())
		}
	}
	if !strings.Contains(event.Value{Enc: event.EncStr, Bytes: []byte("a\n"), Truncated: true}.String(), `"a\n"…`) {
		t.Error("a truncated string's text")
	}
}

// TestClockAsFormat: the table's time of day is what time's layout
// "15:04:05.000000" writes, before the epoch and at every digit's edge.
func TestClockAsFormat(t *testing.T) {
	ns := []int64{0, 1, -1, 999, -999, 1000, -1000, 86399999999999, -86399999999999, 1796138519843746811, -1 << 62}
	x := uint64(0x9e3779b97f4a7c15)
	for range 2000 {
		x = x*6364136223846793005 + 1442695040888963407
		ns = append(ns, int64(x))
	}
	for _, n := range ns {
		if got, want := string(appendClock(nil, n)), time.Unix(0, n).UTC().Format("15:04:05.000000"); got != want {
			t.Errorf("%d: %s, want %s", n, got, want)
		}
	}
}
