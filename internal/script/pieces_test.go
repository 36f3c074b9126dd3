package script

import (
	"regexp"
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
		{"a C string joins a guarded print with the head and the values before it", []plan.Value{n, cstr, n}, true, true, 0, []int{3, 2}},
		{"a C string and the values after it", []plan.Value{cstr, n}, true, true, 0, []int{4}},
		{"a C string opening a handler without the head, its fallback above it", []plan.Value{cstr, n}, false, false, 0, []int{2}},
		{"a C string alone prints through its own template", []plan.Value{cstr}, false, false, 0, []int{1}},
		{"a Go string's length joins the print before it, its words follow", []plan.Value{n, str, n}, true, true, 0, []int{3, 2}},
		{"a Go string with a Word type prints raw: the whole record is one print", []plan.Value{n, raw, n}, true, true, 0, []int{5}},
		{"a raw Go string opening a handler without the head", []plan.Value{raw, n}, false, false, 0, []int{2}},
		{"a raw Go string shares its print with two values at most (beside.Bytes)", []plan.Value{n, n, n, raw, n, n, n}, true, true, 0, []int{4, 3, 2}},
		{"the values after a raw Go string count too", []plan.Value{raw, n, n, n}, false, true, 0, []int{3, 2}},
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
			// A C or raw Go string is never in its handler's first
			// print in the text (stapbpf 4.8 overwrites its bytes
			// 56-63 there): its print has one above it.
			if len(prints) > 0 {
				text := prints[0].Text
				// The first printf, up to the next or the line's end.
				_, text, _ = strings.Cut(text, "printf(")
				text, _, _ = strings.Cut(text, "printf(")
				text, _, _ = strings.Cut(text, "\n")
				if strings.Contains(text, `\035:`) || strings.Contains(text, `\035!:`) || strings.Contains(text, `\035g:`) {
					t.Errorf("a string in the handler's first print:\n%s", prints[0].Text)
				}
			}
			var got []int
			from := 0
			for _, p := range prints {
				from += len(p.From)
				// The print itself, after any statements of a before.K.
				first := ""
				for _, l := range strings.Split(p.Text, "\n") {
					if strings.HasPrefix(l, "if (pid() < 0) ") {
						continue // the print above a string's, never run
					}
					// A guarded print: "if (GUARD) printf(...) else {".
					if i := strings.Index(l, `) printf("\037%ld|`); strings.HasPrefix(l, "if (") && i >= 0 {
						l = l[i+2:]
					}
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
				// A raw C string has no space before it (a Go one has).
				k += strings.Count(fmt, `\035`) - strings.Count(fmt, ` \035`)
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

// TestKernelRecordPieces lays out records with the built-in kernel-runtime
// templates: adjacent pieces share one printf inside a try, whose catch
// holds each piece's own print in order (the fallback that prints "!"
// where a value faults); a piece alone prints through its own template.
func TestKernelRecordPieces(t *testing.T) {
	n := plan.Int{X: plan.Var{Name: "n"}}
	str := plan.Bytes{Ptr: plan.Var{Name: "s"}, Len: plan.Var{Name: "l"}, Max: 16}
	long := plan.Bytes{Ptr: plan.Var{Name: "s"}, Len: plan.Var{Name: "l"}, Max: 511}
	cstr := func(max int) plan.Value { return plan.CString{Addr: plan.Var{Name: "c"}, Max: max} }
	for _, tc := range []struct {
		name       string
		fields     []plan.Value
		head, tail bool
		// prints: per print, the pieces it joins (its fallback's prints);
		// 0 is a print of a template of its own.
		prints []int
	}{
		{"head, values and tail in one printf", []plan.Value{n, cstr(128), n}, true, true, []int{5}},
		{"a C string bound MAXSTRINGLEN could cut prints alone", []plan.Value{n, cstr(511), n}, true, true, []int{2, 0, 2}},
		{"the longest bound read whole joins", []plan.Value{cstr(510)}, true, true, []int{3}},
		{"a Go string joins, guarded", []plan.Value{str, n}, true, true, []int{4}},
		{"Go strings join, each guarded", []plan.Value{str, n, str}, false, false, []int{3}},
		{"a Go string bound stap's strings cannot hold prints through its helper", []plan.Value{long, n}, true, true, []int{0, 0, 2}},
		{"a piece alone prints its own", []plan.Value{long, n, long}, false, false, []int{0, 0, 0}},
		{"the budget splits a long record", []plan.Value{cstr(8), cstr(8), cstr(8), cstr(8), n}, true, true, []int{4, 3}},
		{"a value saved at the entry prints alone", []plan.Value{n, plan.Int{X: plan.Var{Name: "a", Entry: true}}, n}, true, true, []int{2, 0, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := newGenerator(Builtin().kernel, false, &plan.Plan{})
			if err != nil {
				t.Fatal(err)
			}
			var fs []plan.Field
			for _, v := range tc.fields {
				fs = append(fs, plan.Field{Name: "f", Value: v, From: "f"})
			}
			prints, err := g.record(ProbeView{P: plan.Probe{Index: 0}, Fields: fs, Head: tc.head, Tail: tc.tail})
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, p := range prints {
				lines := strings.Split(p.Text, "\n")
				var fast string
				var slow []string
				switch {
				case strings.HasSuffix(lines[0], "} catch {"):
					fast, slow = lines[0], lines[1:len(lines)-1]
				case len(lines) > 4 && strings.HasPrefix(lines[2], "if (__sg_j) try {") && lines[3] == "if (!__sg_j) {":
					// Guarded: the guards' try, the print, then the slow way.
					fast, slow = strings.TrimPrefix(lines[2], "if (__sg_j) "), lines[4:len(lines)-1]
				default:
					got = append(got, 0)
					continue
				}
				got = append(got, len(slow))
				// The fast printf has the format of every fallback print
				// (without their own try), in order.
				var want string
				for _, l := range slow {
					l = strings.TrimPrefix(strings.TrimSpace(l), "try { ")
					if i := strings.Index(l, `printf("`); i == 0 {
						want += strings.SplitN(l[len(`printf("`):], `"`, 2)[0]
					} else if strings.Contains(l, "__sg_ucstr(") {
						want += `\035:` // the helper's raw form, in its fast case
					} else if strings.Contains(l, "__sg_gstr(") {
						want += ` \035g:` // a Go string's raw form, as the guard lets it
					}
				}
				if f := strings.SplitN(fast[len(`try { printf("`):], `"`, 2)[0]; rawGoString.ReplaceAllString(rawCString.ReplaceAllString(f, `\035:`), `\035g:`) != want {
					t.Errorf("fast format %q, fallback formats %q", f, want)
				}
			}
			if !slices.Equal(got, tc.prints) {
				var texts []string
				for _, p := range prints {
					texts = append(texts, p.Text)
				}
				t.Errorf("prints join %v pieces, want %v:\n%s", got, tc.prints, strings.Join(texts, "\n"))
			}
		})
	}
}

// rawCString is a raw C string's piece in a format; its helper prints it
// itself, so a fallback's formats show only its mark.
var rawCString = regexp.MustCompile(`\\035:[0-9]+\+:%s%c`)

// rawGoString is a raw Go string's piece in a format.
var rawGoString = regexp.MustCompile(`\\035g:[0-9]+:%d:%s`)
