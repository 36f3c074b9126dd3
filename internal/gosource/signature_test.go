package gosource

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestSignatureMatchesDWARF gives fixture functions their types by
// --signature (the fixture's declarations, retyped) and compares them
// with the fixture's DWARF, register assignment and _func.args included.
// Methods take their receiver from the name and the --source tree.
func TestSignatureMatchesDWARF(t *testing.T) {
	bin := fixture(t, toolchain{"host", testenv.NeedTool(t, "go")})
	ix, args := oracles(t, bin)
	src := filepath.Dir(testenv.GoSource("main.go"))
	for _, tc := range []struct{ fn, sig string }{
		{"main.Mount", "func(source, target, fstype string, flags uintptr, data string) error"},
		{"main.Many", "func(a, b, c, d, e, f, g, h, i, j int, s string) int"},
		{"main.Multi", "func(n int, s string) (count int, msg string, err error)"},
		{"main.Small", "func(b bool, u8 uint8, i16 int16, u64 uint64, i8 int8) int"},
		{"main.Float", "func(f float64, g float32) float64"},
		{"main.Map", "func(m map[string]int) int"},
		{"main.Chan", "func(c chan int) int"},
		{"main.Array", "func(a [3]int, k int) int"},
		{"main.Iface", "func(x any) bool"},
		{"main.Bytes", "(b []byte) int"}, // "func" may be left out
		{"main.Strs", "func(xs []string) int"},
		{"main.Adder", "func(base int) func(int) int"},
		{"main.ByValue", "func(o Opts) int"}, // resolved in the function's package
		{"main.Ptr", "func(o *Opts) int"},
		{"main.(*Rect).Area", "func() float64"},
		{"main.Rect.Scale", "func(k int) Rect"},
		{"syscall.Mount", "func(source string, target string, fstype string, flags uintptr, data string) (err error)"},
	} {
		t.Run(tc.fn, func(t *testing.T) {
			fs, err := ix.Lookup(tc.fn)
			if err != nil {
				t.Fatal(err)
			}
			f := fs[0]
			r, err := Open(bin, Options{Signature: tc.sig, Source: src})
			if err != nil {
				t.Fatal(err)
			}
			sig, err := r.Func(tc.fn)
			if err != nil {
				t.Fatal(err)
			}
			if sig.Origin != "--signature" {
				t.Errorf("origin %q", sig.Origin)
			}
			if len(sig.Params) != len(f.Params) || len(sig.Results) != len(f.Results) {
				t.Fatalf("%d params %d results, DWARF %d, %d", len(sig.Params), len(sig.Results), len(f.Params), len(f.Results))
			}
			for i := range f.Params {
				if d := diff(sig.Params[i], f.Params[i]); d != "" {
					t.Error(d)
				}
			}
			for i := range f.Results {
				if d := diff(sig.Results[i], f.Results[i]); d != "" {
					t.Error(d)
				}
			}
			recv := strings.Contains(tc.fn, ").") || strings.Count(tc.fn, ".") == 2
			if a, b := assignString(sig.Params, sig.Results, recv, tc.fn), assignString(f.Params, f.Results, recv, tc.fn); a != b {
				t.Errorf("registers %s, DWARF %s", a, b)
			}
			if err := sig.Check(args[tc.fn], regABIOptions(tc.fn, recv)); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestSignatureRefused: a --signature that disagrees with the binary's
// function table is refused with both sizes.
func TestSignatureRefused(t *testing.T) {
	bin := fixture(t, toolchain{"host", testenv.NeedTool(t, "go")})
	args, err := pclnArgs(bin)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(bin, Options{Signature: "func(source, target string) error"})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := r.Func("syscall.Mount")
	if err != nil {
		t.Fatal(err)
	}
	err = sig.Check(args["syscall.Mount"], regABIOptions("syscall.Mount", false))
	var fm *FrameMismatchError
	if !errors.As(err, &fm) {
		t.Fatalf("got %v, want *FrameMismatchError", err)
	}
	// Two strings spill into 32 bytes; the table has the five real
	// parameters' 72 (3 strings, a uintptr, a string).
	if fm.Source != 32 || fm.Binary != args["syscall.Mount"] || fm.Binary != 72 {
		t.Errorf("sizes %d/%d, want 32/72: %v", fm.Source, fm.Binary, err)
	}
	if !strings.Contains(err.Error(), "32") || !strings.Contains(err.Error(), "72") {
		t.Errorf("message lacks the sizes: %v", err)
	}
}

func TestParseSignatureErrors(t *testing.T) {
	for _, s := range []string{"", "func(a int", "struct{}", "func[T any](x T)", "func(a int) {}",
		"func(" + strings.Repeat("a int, ", 1000) + ")", "int", "func(a int) (b"} {
		_, _, err := ParseSignature(s)
		var se *SignatureError
		if !errors.As(err, &se) {
			t.Errorf("%.40q: got %v, want *SignatureError", s, err)
		}
	}
}

// TestParseSignatureUnknown: a named type no source resolves stays a
// marked unknown, which Frame and Unknown refuse instead of guessing.
func TestParseSignatureUnknown(t *testing.T) {
	params, _, err := ParseSignature("func(p *foo.Bar, v foo.Bar, n int)")
	if err != nil {
		t.Fatal(err)
	}
	if params[0].Type.Kind != debuginfo.KindPointer || IsUnknown(params[0].Type) {
		t.Errorf("*foo.Bar: %+v, want a known pointer to an unknown", params[0].Type)
	}
	if !IsUnknown(params[1].Type) || params[1].Type.Kind != debuginfo.KindUnsupported {
		t.Errorf("foo.Bar: %+v, want unknown", params[1].Type)
	}
	sig := &Signature{Func: "x.F", Params: params}
	var ue *UnknownTypeError
	if err := sig.Unknown(); !errors.As(err, &ue) || ue.Var != "v" {
		t.Errorf("Unknown: %v", err)
	}
	if _, err := sig.Frame(regABIOptions("x.F", false)); err == nil {
		t.Error("Frame of an unknown type succeeded")
	}
}

// FuzzParseSignature: any text gives a signature or a *SignatureError,
// never a panic; a signature's types have sizes that a frame agrees with.
func FuzzParseSignature(f *testing.F) {
	for _, s := range []string{
		"func(source, target, fstype string, flags uintptr, data string) (err error)",
		"func(a [3]int, m map[string][]*os.File, c <-chan struct{ x, y int8 }) (func(...any) error, bool)",
		"func(x [1 << 4]byte, y [^uint8(0)]int8, z interface{ M() }) complex64",
		"func(_ int, _ string) (_ int)", "func()", "(a, b int)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		params, results, err := ParseSignature(s)
		if err != nil {
			var se *SignatureError
			if !errors.As(err, &se) {
				t.Fatalf("%q: error %T %v", s, err, err)
			}
			return
		}
		var ts []*debuginfo.Type
		for _, v := range append(params, results...) {
			if v.Type == nil || v.Name == "" {
				t.Fatalf("%q: variable %+v", s, v)
			}
			ts = append(ts, v.Type)
		}
		n, err := Frame(ts[:len(params)], ts[len(params):], regABIOptions("x.F", false))
		if err == nil && n < 0 {
			t.Fatalf("%q: frame %d", s, n)
		}
	})
}
