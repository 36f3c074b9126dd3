package gosource

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/target"
)

func dumpT(t *debuginfo.Type, ind string, depth int) string {
	if t == nil {
		return "nil"
	}
	s := fmt.Sprintf("{K=%s N=%q G=%q S=%d C=%d E=%v", t.Kind, t.Name, t.GoName, t.Size, t.Count, t.EmptyInterface)
	if depth > 2 {
		return s + "}"
	}
	if t.Elem != nil {
		s += " Elem=" + dumpT(t.Elem, ind+"  ", depth+1)
	}
	if t.Key != nil {
		s += " Key=" + dumpT(t.Key, ind+"  ", depth+1)
	}
	for _, f := range t.Members() {
		s += fmt.Sprintf("\n%s  .%s@%d %s", ind, f.Name, f.Offset, dumpT(f.Type, ind+"  ", depth+1))
	}
	return s + "}"
}

func TestScratchDump(t *testing.T) {
	b, err := target.Open(os.Getenv("BIN"))
	if err != nil {
		t.Fatal(err)
	}
	ix, err := debuginfo.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range strings.Split(os.Getenv("FN"), ",") {
		fs, err := ix.Lookup(n)
		if err != nil {
			t.Log(err)
			continue
		}
		for _, f := range fs {
			fmt.Println("==", f.Name, f.File, f.Line, f.Entry)
			for _, v := range append(f.Params, f.Results...) {
				fmt.Printf("  %s res=%v %s\n", v.Name, v.Result, dumpT(v.Type, "  ", 0))
			}
		}
	}
}
