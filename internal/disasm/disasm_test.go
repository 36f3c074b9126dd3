package disasm

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

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
		if len(first[fn]) < 3 {
			first[fn] = append(first[fn], strings.Join(strings.Fields(m[2]), " "))
		}
		if strings.HasPrefix(m[2], "ret") {
			a, _ := strconv.ParseUint(m[1], 16, 64)
			rets[fn] = append(rets[fn], a)
		}
	}
	return rets, first
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
	fns, err := ix.Match("main.*", "runtime.mallocgc", "fmt.Fprintf")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
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
		if ok && strings.HasPrefix(fi[0], "lea r12,[rsp-") {
			want, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(fi[0], "lea r12,[rsp-0x"), "]"), 16, 64)
			if sc.Frame != want {
				t.Errorf("%s: frame %d, objdump %q", f.Name, sc.Frame, fi[0])
			}
		}
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d functions checked", checked)
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
	})
}
