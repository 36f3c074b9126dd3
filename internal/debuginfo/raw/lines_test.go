package raw

import (
	"bytes"
	"debug/dwarf"
	"slices"
	"testing"

	"github.com/go-delve/delve/pkg/dwarf/line"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestPrologueEndAgreesWithDelve: the one line-table pass (debug/dwarf's
// LineEntry.PrologueEnd) finds, for every function of the Go fixture in
// the default build, the prologue end delve's own line-table parser finds.
// Where the function's entry begins no row of its sequence (Go's type:.eq
// functions, some inits), delve's PrologueEndPC starts before the entry
// and gives up; there ours must be a row delve lists inside the function.
func TestPrologueEndAgreesWithDelve(t *testing.T) { prologueEndsAgree(t, testenv.GoDefault) }

// TestPrologueEndAgreesWithDelveOtherBuilds is the same for the
// unoptimised and PIE builds.
func TestPrologueEndAgreesWithDelveOtherBuilds(t *testing.T) {
	testenv.Long(t, "two more builds of the fixture")
	prologueEndsAgree(t, testenv.GoNoOpt, testenv.GoPIE)
}

func prologueEndsAgree(t *testing.T, variants ...testenv.GoVariant) {
	for _, v := range variants {
		t.Run(string(v), func(t *testing.T) {
			b, err := target.Open(testenv.GoFixture(t, v))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			f, err := Open(b, Cache{})
			if err != nil {
				t.Fatal(err)
			}
			fv, err := f.Full()
			if err != nil {
				t.Fatal(err)
			}
			lineSec, _ := b.DWARFFile().Section(".debug_line")
			lineStr, _ := b.DWARFFile().Section(".debug_line_str")
			compared, marked, gaveUp := 0, 0, 0
			for u := range f.Units {
				m := f.Meta(u)
				off, ok := m.Entry.Val(dwarf.AttrStmtList).(int64)
				if !ok {
					continue
				}
				// delve's parser writes past its input on DW_FORM_strx3:
				// copies, never the mapping.
				li := line.Parse(m.CompDir, bytes.NewBuffer(bytes.Clone(lineSec[off:])), bytes.Clone(lineStr), func(string, ...any) {}, 0, false, f.PtrSize)
				r := fv.D.Reader()
				r.Seek(f.Units[u].DIE)
				r.Next()
				for {
					e, err := r.Next()
					if err != nil || e == nil || e.Tag == 0 {
						break
					}
					if e.Children {
						r.SkipChildren()
					}
					if e.Tag != dwarf.TagSubprogram {
						continue
					}
					lo, hi := PCRange(fv.D, e)
					if hi <= lo {
						continue
					}
					want, _, _, wok := li.PrologueEndPC(lo, hi)
					if wok && want <= lo {
						wok = false
					}
					got, gok := f.PrologueEnd(u, lo, hi)
					if gok && !wok {
						pcs, _ := li.AllPCsBetween(lo, hi-1, "", -1)
						if len(pcs) > 0 && pcs[0] != lo && slices.Contains(pcs, got) {
							wok, want = true, got // the case delve gives up on
							gaveUp++
						}
					}
					if gok != wok || got != want && wok {
						t.Errorf("%v@%#x: prologue end %#x, %v; delve %#x, %v", e.Val(dwarf.AttrName), lo, got, gok, want, wok)
					}
					compared++
					if gok {
						marked++
					}
				}
			}
			t.Logf("%d functions, %d with a prologue end, %d of them where delve gives up", compared, marked, gaveUp)
			if compared < 1000 || marked < compared/2 || gaveUp > marked/10 {
				t.Errorf("%d functions compared, %d with a prologue end: too few for the check to mean anything", compared, marked)
			}
		})
	}
}
