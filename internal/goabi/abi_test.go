package goabi

import (
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/goruntime"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

var (
	u8    = &debuginfo.Type{Kind: debuginfo.KindUint, Size: 1}
	uptr  = &debuginfo.Type{Kind: debuginfo.KindUint, Size: 8}
	i64   = &debuginfo.Type{Kind: debuginfo.KindInt, Size: 8}
	f64   = &debuginfo.Type{Kind: debuginfo.KindFloat, Size: 8}
	str   = &debuginfo.Type{Kind: debuginfo.KindString, Size: 16}
	slice = &debuginfo.Type{Kind: debuginfo.KindSlice, Size: 24}
	arr2  = &debuginfo.Type{Kind: debuginfo.KindArray, Size: 16, Count: 2, Elem: uptr}
	r1    = &debuginfo.Type{Kind: debuginfo.KindStruct, Size: 24, Fields: []debuginfo.Field{{Name: "x", Type: uptr}, {Name: "y", Type: arr2, Offset: 8}}}
	pair  = &debuginfo.Type{Kind: debuginfo.KindStruct, Size: 16, Fields: []debuginfo.Field{{Name: "a", Type: i64}, {Name: "f", Type: f64, Offset: 8}}}
	empty = &debuginfo.Type{Kind: debuginfo.KindStruct, Size: 0}
)

func locs(ls []Loc) string {
	var s []string
	for _, l := range ls {
		s = append(s, l.String())
	}
	return strings.Join(s, " ")
}

func TestAssign(t *testing.T) {
	many := []*debuginfo.Type{i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, str}
	for _, tc := range []struct {
		name            string
		params, results []*debuginfo.Type
		o               Options
		in, out         string
	}{
		// The worked example of abi-internal.md.
		{"doc example", []*debuginfo.Type{u8, arr2, u8}, []*debuginfo.Type{r1, str}, Options{}, "rax stack+0 rbx", "stack+16 rax,rbx"},
		{"main.Many", many, []*debuginfo.Type{i64}, Options{}, "rax rbx rcx rdi rsi r8 r9 r10 r11 stack+0 stack+8", "rax"},
		{"string slice", []*debuginfo.Type{str, slice}, nil, Options{}, "rax,rbx rcx,rdi,rsi", ""},
		{"mixed struct", []*debuginfo.Type{pair, f64}, []*debuginfo.Type{f64, i64}, Options{}, "rax,xmm0 xmm1", "xmm0 rax"},
		{"zero size", []*debuginfo.Type{empty, i64}, nil, Options{}, "stack+0 rax", ""},
		{"dictionary first", []*debuginfo.Type{slice}, []*debuginfo.Type{i64}, Options{Dict: DictFirst}, "rbx,rcx,rdi", "rax"},
		{"dictionary after receiver", []*debuginfo.Type{uptr, str}, nil, Options{Dict: DictAfterReceiver}, "rax rcx,rdi", ""},
		{"abi0", []*debuginfo.Type{u8, i64, str}, []*debuginfo.Type{i64}, Options{ABI0: true}, "stack+0 stack+8 stack+16", "stack+32"},
	} {
		in, out, err := Assign(tc.params, tc.results, tc.o)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if locs(in) != tc.in || locs(out) != tc.out {
			t.Errorf("%s: in %q out %q; want %q %q", tc.name, locs(in), locs(out), tc.in, tc.out)
		}
	}
}

// TestAgreesWithDWARF compares the assignment with the DWARF location at
// entry of every parameter that DWARF places in registers, over the
// fixture and cmd/go: research found every disagreement to be a DWARF
// defect (reassigned parameters, wrappers), so a high rate is required.
func TestAgreesWithDWARF(t *testing.T) {
	for _, v := range []testenv.GoVariant{testenv.GoDefault, testenv.GoNoOpt} {
		bin := testenv.GoFixture(t, v)
		b, err := target.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		ix, err := debuginfo.Open(b)
		if err != nil {
			t.Fatal(err)
		}
		fns, err := ix.Match("*")
		if err != nil {
			t.Fatal(err)
		}
		agree, compared := 0, 0
		var bad []string
		for _, f := range fns {
			if f.NoTypes || f.Lang != debuginfo.LangGo || strings.HasSuffix(f.Name, ".abi0") {
				continue
			}
			var pt []*debuginfo.Type
			for _, p := range f.Params {
				pt = append(pt, p.Type)
			}
			in, _, err := Assign(pt, nil, Options{Dict: goruntime.Dictionary(f.Name)})
			if err != nil {
				continue
			}
			for i, p := range f.Params {
				var regs string
				switch {
				case strings.HasPrefix(p.Location, "reg "):
					regs = strings.TrimPrefix(p.Location, "reg ")
				case strings.HasPrefix(p.Location, "regs "):
					regs = strings.TrimPrefix(p.Location, "regs ")
				default:
					continue
				}
				compared++
				if in[i].String() == regs {
					agree++
				} else if len(bad) < 10 {
					bad = append(bad, f.Name+" "+p.Name+": abi "+in[i].String()+" dwarf "+regs)
				}
			}
		}
		rate := float64(agree) / float64(compared)
		t.Logf("%s: %d of %d register parameters agree (%.2f%%)", v, agree, compared, 100*rate)
		if compared < 100 || rate < 0.99 {
			t.Errorf("%s: agreement %.2f%% over %d; first disagreements:\n%s", v, 100*rate, compared, strings.Join(bad, "\n"))
		}
		b.Close()
	}
}
