package script

import (
	"slices"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/plan"
)

// TestRecordPieces lays out records with the built-in BPF templates and
// checks which values share a print. What each print holds is read back
// from its format; the scripts' goldens, compiled by stap (see
// TestRenderedScriptsPassStap), and the BPF runs against the programs'
// own output check the text itself.
func TestRecordPieces(t *testing.T) {
	n := plan.Int{X: plan.Var{Name: "n"}}
	word := func(off int64) plan.Value { return plan.Int{X: plan.Mem{Addr: plan.Var{Name: "p"}, Off: off, Size: 8}} }
	str := plan.Bytes{Ptr: plan.Var{Name: "s"}, Len: plan.Var{Name: "l"}, Max: 16}
	cstr := plan.CString{Addr: plan.Var{Name: "c"}, Max: 32}
	raw := plan.Bytes{Ptr: plan.Var{Name: "s"}, Len: plan.Var{Name: "l"}, Max: 64, Word: "uint64", WordModule: "/bin/x"}
	fields := func(vs ...plan.Value) []plan.Field {
		var out []plan.Field
		for _, v := range vs {
			out = append(out, plan.Field{Name: "f", Value: v, From: "f"})
		}
		return out
	}
	for _, tc := range []struct {
		name       string
		fields     []plan.Value
		head, tail bool
		max        int
		// prints: per print, the number of values it carries (the head
		// and the tail count as one each); a non-piece print is 1.
		prints []int
	}{
		{"head, values and tail in one print", []plan.Value{n, n}, true, true, 0, []int{4}},
		{"a C string prints alone and splits the rest", []plan.Value{n, cstr, n}, true, true, 0, []int{2, 1, 2}},
		{"a Go string's length joins the print before it, its words follow", []plan.Value{n, str, n}, true, true, 0, []int{3, 2}},
		{"a Go string with a Word type prints raw: the whole record is one print", []plan.Value{n, raw, n}, true, true, 0, []int{5}},
		{"user-memory reads count against the stack budget", []plan.Value{word(0), word(8), word(16), n}, true, true, 0, []int{4, 2}}, // the head (4) and three words (2 each) are the budget of 10,
		{"a later handler of a limited record closes it before the tail", []plan.Value{n}, false, true, 5, []int{1, 1, 1}},
		{"a handler without head or tail", []plan.Value{n, n}, false, false, 0, []int{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := newGenerator(Builtin().bpf, true, &plan.Plan{})
			if err != nil {
				t.Fatal(err)
			}
			pv := ProbeView{P: plan.Probe{Index: 0}, CPU: "cpu()", Fields: fields(tc.fields...), Head: tc.head, Tail: tc.tail, Max: tc.max}
			prints, err := g.record(pv)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			from := 0
			for _, p := range prints {
				from += len(p.From)
				// The print itself, after any statements of a before.K.
				first := ""
				for _, l := range strings.Split(p.Text, "\n") {
					if strings.HasPrefix(l, `printf("\037%ld|`) {
						first = l
						break
					}
				}
				if first == "" {
					got = append(got, 1)
					continue
				}
				fmt := first[len(`printf("\037%ld|`):strings.Index(first, `\036"`)]
				k := strings.Count(fmt, " ")
				if strings.HasPrefix(fmt, "@@sg1") {
					k -= 5 // the head's own fields
				}
				if strings.HasSuffix(fmt, `\n`) {
					k++
				}
				got = append(got, k)
			}
			if from != len(tc.fields) {
				t.Errorf("%d comments for %d values", from, len(tc.fields))
			}
			if !slices.Equal(got, tc.prints) {
				var texts []string
				for _, p := range prints {
					texts = append(texts, p.Text)
				}
				t.Errorf("prints carry %v values, want %v:\n%s", got, tc.prints, strings.Join(texts, "\n"))
			}
		})
	}
}
