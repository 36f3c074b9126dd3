package debuginfo

import (
	"fmt"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// stapReturn is the type stap -L gives $return on a .return probe, "" when
// it lists none (a void function).
func stapReturn(s stapFunc) string {
	for _, v := range s.Vars {
		if v.Name == "return" {
			return v.Type
		}
	}
	return ""
}

// agreeOnReturn checks f.Return against stap's $return type.
func agreeOnReturn(t *testing.T, f *Function, s stapFunc) {
	t.Helper()
	want := stapReturn(s)
	switch {
	case f.Return == nil:
		t.Errorf("%s: no return type", f.Name)
	case want == "" && f.Return.Kind != KindVoid:
		t.Errorf("%s: return %s (%s), stap lists no $return", f.Name, f.Return.Name, f.Return.Kind)
	case want != "" && f.Return.Name != want:
		t.Errorf("%s: return %s, stap says %s", f.Name, f.Return.Name, want)
	}
}

// TestReturnTypesAgreeWithStap: the return type of every function of the
// returns fixture and of two kernel source files is what stap -L lists as
// $return on the function's .return probe (none for void).
func TestReturnTypesAgreeWithStap(t *testing.T) {
	t.Run("rfix", func(t *testing.T) {
		bin := testenv.CProgram(t, "rfix", testenv.CO2)
		// process probes need the lab build tree (CONFIG_UPROBES).
		stap := stapList(t, testenv.HostBuildTree(t), fmt.Sprintf("process(%q).function(\"r_*\").return", bin))
		ix := openIndex(t, bin)
		kinds := map[Kind]bool{}
		for _, s := range stap {
			fs, err := ix.Lookup(s.Name)
			if err != nil || len(fs) != 1 {
				t.Fatalf("%s: %v %v", s.Name, fs, err)
			}
			agreeOnReturn(t, fs[0], s)
			if fs[0].Return != nil {
				kinds[fs[0].Return.Kind] = true
			}
		}
		for _, k := range []Kind{KindVoid, KindBool, KindEnum, KindFloat, KindPointer, KindUint} {
			if !kinds[k] {
				t.Errorf("no function returning a %s compared", k)
			}
		}
	})
	t.Run("vmlinux", func(t *testing.T) {
		vm := testenv.Vmlinux(t)
		tree := buildTree(t, testenv.KernelRelease(), vm)
		ix := openIndex(t, vm)
		compared, voids := 0, 0
		for _, s := range stapList(t, tree, `kernel.function("*@fs/namei.c").return`) {
			fs, err := ix.Lookup(s.Name)
			if err != nil {
				t.Errorf("%s: %v", s.Name, err)
				continue
			}
			for _, f := range fs {
				if f.File != s.File || fmt.Sprint(f.Line) != s.Line {
					continue
				}
				agreeOnReturn(t, f, s)
				compared++
				if stapReturn(s) == "" {
					voids++
				}
			}
		}
		if compared < 100 || voids == 0 {
			t.Errorf("compared %d functions (%d void); want over 100 and some void", compared, voids)
		}
	})
}
