package disasm

import (
	"cmp"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/exp/slices"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// objdump is the ground truth: RET addresses and the first instructions
// of each function.
func objdump(t *testing.T, bin string) (rets map[string][]uint64, first map[string][]string) {
	out, err := exec.Command("objdump", "-d", "--no-show-raw-insn", "-M", "intel", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	rets, first = map[string][]uint64{}, map[string][]string{}
	fn := ""
	head := regexp.MustCompile(`^[0-9a-f]+ <(.*)>:$`)
	ins := regexp.MustCompile(`^\s*([0-9a-f]+):\s+(.*)$`)
	for _, l := range strings.Split(string(out), "\n") {
		if m := head.FindStringSubmatch(l); m != nil {
			fn = m[1]
			continue
		}
		m := ins.FindStringSubmatch(l)
		if m == nil || fn == "" {
			continue
		}
		in := strings.Join(strings.Fields(m[2]), " ")
		if len(first[fn]) < 3 {
			first[fn] = append(first[fn], in)
		}
		if strings.HasPrefix(m[2], "ret") {
			a, _ := strconv.ParseUint(m[1], 16, 64)
			rets[fn] = append(rets[fn], a)
		}
	}
	return rets, first
}

// cfaRow is one row of objdump's interpreted call-frame table: from pc on,
// the CFA is RSP+off (off -1: another rule).
type cfaRow struct {
	pc  uint64
	off int64
}

// cfaTable reads the CFA rules of bin's .debug_frame through objdump: the
// ground truth for how far RSP is below its entry value at any pc.
func cfaTable(t *testing.T, bin string) []cfaRow {
	out, err := exec.Command("objdump", "--dwarf=frames-interp", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`^([0-9a-f]{16}) (\S+)`)
	var rows []cfaRow
	for _, l := range strings.Split(string(out), "\n") {
		m := row.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		pc, _ := strconv.ParseUint(m[1], 16, 64)
		off := int64(-1)
		if strings.HasPrefix(m[2], "rsp+") {
			off, _ = strconv.ParseInt(strings.TrimPrefix(m[2], "rsp+"), 10, 64)
		}
		rows = append(rows, cfaRow{pc, off})
	}
	slices.SortStableFunc(rows, func(a, b cfaRow) int { return cmp.Compare(a.pc, b.pc) })
	return rows
}

// cfaAt is the CFA offset in force at pc (rows of one function only:
// entry is where its table starts).
func cfaAt(rows []cfaRow, entry, pc uint64) (int64, bool) {
	i, _ := slices.BinarySearchFunc(rows, entry, func(r cfaRow, x uint64) int { return cmp.Compare(r.pc, x) })
	if i >= len(rows) || rows[i].pc != entry {
		return 0, false
	}
	off := rows[i].off
	for ; i < len(rows) && rows[i].pc <= pc; i++ {
		off = rows[i].off
	}
	return off, off >= 0
}

func TestAgainstObjdump(t *testing.T) {
	testenv.NeedTool(t, "objdump")
	bin := testenv.GoFixture(t, testenv.GoDefault)
	b, err := target.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ix, err := debuginfo.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	wantRets, first := objdump(t, bin)
	cfa := cfaTable(t, bin)
	fns, err := ix.Match("main.*", "runtime.mallocgc", "fmt.Fprintf")
	if err != nil {
		t.Fatal(err)
	}
	checked, framed := 0, 0
	for _, f := range fns {
		code, err := ix.Code(f)
		if err != nil || len(code) == 0 {
			continue
		}
		got, _ := Rets(code, f.Entry)
		if strconv.Quote(strings.Trim(strings.Join(strings.Fields(strings.Trim(fmtAddrs(got), "[]")), " "), " ")) != strconv.Quote(strings.Trim(fmtAddrs(wantRets[f.Name]), "[]")) {
			t.Errorf("%s: RETs %x, objdump %x", f.Name, got, wantRets[f.Name])
		}
		sc, ok := FindStackCheck(code, f.Entry)
		fi := first[f.Name]
		hasCheck := len(fi) >= 2 && (strings.HasPrefix(fi[0], "cmp rsp,QWORD PTR [r14+0x10]") || strings.HasPrefix(fi[1], "cmp r12,QWORD PTR [r14+0x10]"))
		if ok != hasCheck || ok && sc.Guard != 0x10 {
			t.Errorf("%s: stack check %+v %v; objdump starts %q", f.Name, sc, ok, fi)
		}
		for _, in := range fi {
			// objdump spells the branch "jbe 4c1480 <main.F+0x80>".
			if j, found := strings.CutPrefix(in, "jbe "); found && ok {
				want, _ := strconv.ParseUint(strings.Fields(j)[0], 16, 64)
				if sc.Stub != want {
					t.Errorf("%s: morestack stub at %#x, objdump %q", f.Name, sc.Stub, in)
				}
			}
		}
		if ok && strings.HasPrefix(fi[0], "lea r12,[rsp-") {
			want, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(fi[0], "lea r12,[rsp-0x"), "]"), 16, 64)
			if sc.Frame != want {
				t.Errorf("%s: frame %d, objdump %q", f.Name, sc.Frame, fi[0])
			}
		}
		// At the prologue end RSP is as far below its entry value as the
		// call-frame table says (the CFA is entry RSP + 8).
		if pe, okPE := ix.PrologueEnd(f); ok && okPE {
			want, okC := cfaAt(cfa, f.Entry, pe)
			if d, okF := FrameSetup(code, f.Entry, sc.After, pe); !okC || !okF || d != want-8 {
				t.Errorf("%s: frame set-up %d (ok %v) at %#x, .debug_frame says CFA rsp+%d (ok %v)", f.Name, d, okF, pe, want, okC)
			} else {
				framed++
			}
		}
		checked++
	}
	if checked < 20 || framed < 10 {
		t.Fatalf("only %d functions checked, %d frame set-ups", checked, framed)
	}
}

func fmtAddrs(a []uint64) string {
	var s []string
	for _, x := range a {
		s = append(s, strconv.FormatUint(x, 16))
	}
	return strings.Join(s, " ")
}

func FuzzRets(f *testing.F) {
	f.Add([]byte{0x49, 0x3b, 0x66, 0x10, 0x76, 0x10, 0xc3})
	f.Add([]byte{0x4c, 0x8d, 0x64, 0x24, 0xf8, 0x4d, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, code []byte) {
		rets, _ := Rets(code, 0x1000)
		for _, r := range rets {
			if r < 0x1000 || r >= 0x1000+uint64(len(code)) {
				t.Fatalf("RET %x outside the code", r)
			}
		}
		if sc, ok := FindStackCheck(code, 0x1000); ok && (sc.After <= 0x1000 || sc.After > 0x1000+uint64(len(code))) {
			t.Fatalf("after %x outside the code", sc.After)
		}
		FrameSetup(code, 0x1000, 0x1000, 0x1000+uint64(len(code)))
		FrameSetup(code, 0x1000, 0x1004, 0x0fff)
	})
}
