package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

func TestJSONLines(t *testing.T) {
	var out bytes.Buffer
	run(t, NewJSON(&out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 8 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
	}
}

func TestTopValues(t *testing.T) {
	var sum bytes.Buffer
	run(t, NewSummary(&sum, schema, SummaryOptions{Top: "~r0"}))
	if !strings.Contains(sum.String(), "top values of ~r0\n  1  3\n  1  300\n  1  5\n") {
		t.Errorf("top values:\n%s", sum.String())
	}
}
