package gofacts

import (
	"debug/dwarf"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/disasm"
	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestStrippedFactsMatchTwin: for binaries stripped with strip(1), built
// by Debian's Go 1.19, the host's Go and testenv.OtherGo, as Debian builds (PIE,
// external linking) and by default, the facts the plan uses equal those of
// the unstripped twin: the body address and RSP distance after the stack
// check (the twin's DWARF line table marks its prologue end there, or past
// a frame set-up that changes no argument register), the goid offset (the
// twin's from DWARF), and the RETs (objdump's, on the twin's symbols).
func TestStrippedFactsMatchTwin(t *testing.T) {
	toolchains := map[string]string{"go1.19": testenv.Go119(t), "host": testenv.NeedTool(t, "go")}
	for _, v := range testenv.OtherGo {
		toolchains[v] = testenv.GoToolchain(t, v)
	}
	for name, goCmd := range toolchains {
		for _, v := range []testenv.GoVariant{testenv.GoDefault, testenv.GoPIEExt} {
			t.Run(fmt.Sprintf("%s/%s", name, v), func(t *testing.T) {
				compareFacts(t, testenv.GoFixtureWith(t, goCmd, testenv.Strip(v)), testenv.GoFixtureWith(t, goCmd, v))
			})
		}
	}
}

func compareFacts(t *testing.T, strippedPath, twinPath string) {
	sb, err := target.Open(strippedPath)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if sb.HasDWARF() {
		t.Fatalf("%s has DWARF", strippedPath)
	}
	s, err := Stripped(sb)
	if err != nil {
		t.Fatal(err)
	}
	sf := s.Facts()
	tb, err := target.Open(twinPath)
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	ix, err := debuginfo.Open(tb)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := sf.GoidOffset()
	tg, terr := New(tb, ix).GoidOffset()
	if err != nil || terr != nil || sg != tg {
		t.Errorf("goid offset %d (%v), twin's DWARF %d (%v)", sg, err, tg, terr)
	}

	funcs, err := s.Match("main.*", "runtime.mallocgc", "fmt.Fprintf", "syscall.*")
	if err != nil {
		t.Fatal(err)
	}
	pes := prologueEnds(t, twinPath)
	rets := testenv.ObjdumpAllRets(t, twinPath)
	bodies := 0
	for _, f := range funcs {
		if f.Line == 0 || f.File == "" {
			t.Errorf("%s: no file:line", f.Name)
		}
		code, err := sb.ReadAt(f.Entry, int(f.End-f.Entry))
		if err != nil {
			t.Fatal(err)
		}
		// The twin's prologue end is the stripped body or past a plain
		// frame set-up after it, which changes no argument register.
		sc, ok := sf.StackCheck(f)
		if pe, found := firstIn(pes, f.Entry, f.End); ok && found {
			if _, plain := disasm.FrameSetup(code, f.Entry, sc.Body, pe); !plain || sc.BodySP != 0 || sc.Guard != 16 {
				t.Errorf("%s: body %#x (%+v), twin's prologue end %#x", f.Name, sc.Body, sc, pe)
			}
			bodies++
		}
		// Go 1.18-1.20 tables name instantiations "main.Sum[...]";
		// objdump uses .symtab's full names.
		if strings.HasPrefix(f.Name, "main.") && !strings.Contains(f.Name, "[...]") {
			got, err := sf.Rets(f)
			if want := rets[f.Name]; err != nil || fmt.Sprintf("%#x", got) != "["+strings.Join(want, " ")+"]" {
				t.Errorf("%s: RETs %#x (%v), objdump %v", f.Name, got, err, want)
			}
		}
	}
	if bodies < 20 {
		t.Errorf("only %d bodies compared", bodies)
	}
}

// prologueEnds are the addresses the twin's DWARF line table marks
// prologue_end, sorted, read with debug/dwarf alone.
func prologueEnds(t *testing.T, bin string) []uint64 {
	d := testenv.DWARF(t, bin)
	var out []uint64
	r := d.Reader()
	for cu, err := r.Next(); cu != nil && err == nil; cu, err = r.Next() {
		r.SkipChildren()
		lr, err := d.LineReader(cu)
		if err != nil || lr == nil {
			continue
		}
		var e dwarf.LineEntry
		for lr.Next(&e) == nil {
			if e.PrologueEnd {
				out = append(out, e.Address)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func firstIn(sorted []uint64, lo, hi uint64) (uint64, bool) {
	i := sort.Search(len(sorted), func(i int) bool { return sorted[i] > lo })
	if i < len(sorted) && sorted[i] < hi {
		return sorted[i], true
	}
	return 0, false
}

// TestStrippedCorpus: Debian's dockerd lists with file:line, and its
// syscall.Mount has a body address and RETs, each one an instruction
// objdump decodes as a RET.
func TestStrippedCorpus(t *testing.T) {
	bin := testenv.Corpus(t, "docker.io", "usr/sbin/dockerd")
	b, err := target.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s, err := Stripped(b)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := s.Lookup("syscall.Mount")
	if err != nil {
		t.Fatal(err)
	}
	f := fs[0]
	if !strings.HasSuffix(f.File, "/syscall/syscall_linux.go") || f.Line == 0 {
		t.Errorf("syscall.Mount at %s:%d", f.File, f.Line)
	}
	x := s.Facts()
	sc, ok := x.StackCheck(f)
	if !ok || sc.Body <= f.Entry || sc.Body >= f.End || sc.Guard != 16 {
		t.Errorf("stack check %+v %v", sc, ok)
	}
	rets, err := x.Rets(f)
	if err != nil || len(rets) == 0 {
		t.Fatalf("RETs %v %v", rets, err)
	}
	testenv.NeedTool(t, "objdump")
	out, err := exec.Command("objdump", "-d", "--no-show-raw-insn", fmt.Sprintf("--start-address=%#x", f.Entry),
		fmt.Sprintf("--stop-address=%#x", f.End), bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range strings.Split(string(out), "\n") {
		if fields := strings.Fields(l); len(fields) >= 2 && fields[1] == "ret" {
			want = append(want, "0x"+strings.TrimSuffix(fields[0], ":"))
		}
	}
	if fmt.Sprintf("%#x", rets) != "["+strings.Join(want, " ")+"]" {
		t.Errorf("RETs %#x, objdump %v", rets, want)
	}
	if g, err := x.GoidOffset(); err != nil || g <= 0 {
		t.Errorf("goid %d %v", g, err)
	}
}
