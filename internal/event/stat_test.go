package event

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateStat = flag.Bool("update-stat", false, "rewrite testdata/stat-*.json")

var statSchema = &Schema{Version: 1, Probes: []ProbeSchema{
	{Function: "weigh", Site: SiteEntry, Stat: &StatSchema{Kind: "sum", Value: "v", Key: "k"}},
	{Function: "greet", Site: SiteEntry, Stat: &StatSchema{Kind: "count", Key: "who"}},
	{Function: "weigh", Site: SiteReturn, Stat: &StatSchema{Kind: "latency", Key: "return"}},
	{Function: "read", Site: SiteEntry, Stat: &StatSchema{Kind: "sum", Value: "len"}},
}}

// statEvents decodes in and returns its statistics snapshots and the
// errors of lines it could not read.
func statEvents(t *testing.T, in string) ([]*Agg, []string) {
	t.Helper()
	d := NewDecoder(strings.NewReader(in), statSchema)
	var aggs []*Agg
	var errs []string
	for {
		e, err := d.Next()
		if err == io.EOF {
			return aggs, errs
		}
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case e.Agg != nil:
			aggs = append(aggs, e.Agg)
		case e.Err != "":
			errs = append(errs, e.Err)
		}
	}
}

// TestStatLines decodes the lines each runtime's stat templates print
// (their formats are in stat-kernel.stp.tmpl and stat-bpf.stp.tmpl) into
// the JSON in testdata/stat-NAME.json.
func TestStatLines(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"bpf-keyed", "@@sga a 0 36 36\n@@sga k 0 8 -40 i 7\n@@sga k 0 7 350 i 6\n@@sga k 0 7 9 i 5\n@@sga done 1\n"},
		{"kernel-strings", "@@sga k 1 3 3 1 1 s beta two\n@@sga k 1 5 5 1 1 s gam\\\"ma\n@@sga k 1 2 2 1 1 !\n@@sga k 1 1 1 1 1 s \n@@sga k 1 1 1 1 1 s tab\\there\\001\\377\n@@sga done 1\n"},
		{"kernel-latency", "@@sga k 2 4 4000 500 2000 i -1\n@@sga k 2 2 300 100 200 i 18446744073709551615\n@@sga done 0\n"},
		{"interval-then-final", "@@sga k 3 10 100 -\n@@sga done 0\n@@sga k 3 20 250 -\n@@sga done 1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			aggs, errs := statEvents(t, tc.in)
			if len(errs) > 0 {
				t.Fatalf("lines not read: %v", errs)
			}
			got, _ := json.MarshalIndent(aggs, "", "  ")
			golden := filepath.Join("testdata", "stat-"+tc.name+".json")
			if *updateStat {
				os.WriteFile(golden, append(got, '\n'), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update-stat)", err)
			}
			if !bytes.Equal(append(got, '\n'), want) {
				t.Errorf("differs from %s:\n%s", golden, got)
			}
		})
	}
}

// TestStatLinesRefused: lines the templates never print are errors, and
// start no snapshot.
func TestStatLinesRefused(t *testing.T) {
	for _, l := range []string{
		"@@sga k 9 1 1 -",        // no probe 9
		"@@sga k 0 1 -",          // too few numbers
		"@@sga k 0 1 1 1 -",      // four numbers
		"@@sga k 0 -1 1 -",       // negative count
		"@@sga k 0 1 1 i",        // no integer
		"@@sga k 0 1 1 i x",      // not an integer
		"@@sga k 0 1 1 - x",      // a value after "-"
		"@@sga k 0 1 1 ! x",      // a value after "!"
		"@@sga k 0 1 1 s a\\",    // escape cut short
		"@@sga k 0 1 1 s a\\q",   // unknown escape
		"@@sga k 0 1 1 s a\\777", // octal past a byte
		"@@sga k 0 1 1 q 1",      // unknown key kind
	} {
		aggs, errs := statEvents(t, l+"\n")
		if len(errs) != 1 || len(aggs) != 0 {
			t.Errorf("%q: errors %v, snapshots %d", l, errs, len(aggs))
		}
	}
}

// textStr escapes as stap's text_str does (runtime/stp_string.c):
// the C escapes, octal for the other bytes outside printable ASCII.
func textStr(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch c {
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\v':
			b.WriteString(`\v`)
		case '"', '\\', '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			if c < 0x20 || c > 0x7e {
				fmt.Fprintf(&b, `\%03o`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}

// FuzzStatLine: no line makes the decoder fail or print a snapshot JSON
// cannot hold; every string key escaped as text_str escapes reads back
// as the same bytes.
func FuzzStatLine(f *testing.F) {
	f.Add("0 8 -40 i 7", "beta two")
	f.Add("1 3 3 1 1 s gam\\\"ma", "tab\there\x01\xff")
	f.Add("2 4 4000 500 2000 !", "")
	f.Add("3 1 1 -", "\\?'")
	f.Fuzz(func(t *testing.T, line, key string) {
		if strings.ContainsAny(key, "\n\x00") {
			return
		}
		got, ok := unescapeText([]byte(textStr(key)))
		if !ok || got != key {
			t.Fatalf("%q escaped as %q reads back as %q (%v)", key, textStr(key), got, ok)
		}
		in := "@@sga k " + line + "\n@@sga k 1 1 1 1 1 s " + textStr(key) + "\n@@sga done 1\n"
		aggs, _ := statEvents(t, in)
		for _, a := range aggs {
			if _, err := json.Marshal(a); err != nil {
				t.Fatal(err)
			}
			for _, st := range a.Stats {
				for i := 1; i < len(st.Keys); i++ {
					if st.Keys[i].Count > st.Keys[i-1].Count {
						t.Fatalf("keys out of order: %+v", st.Keys)
					}
				}
			}
		}
	})
}
