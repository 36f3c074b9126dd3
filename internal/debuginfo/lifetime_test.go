package debuginfo

import (
	"errors"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stapgen/stapgen/internal/target"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestUseAfterClose: once the binary is closed (its mapping gone, where a
// read is a SIGSEGV no recover catches), every query fails with
// target.ErrClosed, and what queries returned before stays usable: names,
// types, code (checked against objdump's bytes), and C struct members not
// read yet come back empty instead of crashing.
func TestUseAfterClose(t *testing.T) {
	path := testenv.CFixture(t, testenv.CO0)
	b, err := target.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := OpenWith(b, Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := ix.Lookup("walk")
	if err != nil {
		t.Fatal(err)
	}
	walk := fs[0]
	code, err := ix.Code(walk)
	if err != nil {
		t.Fatal(err)
	}
	node := walk.Params[0].Type.Elem
	if node.Name != "struct node" || !node.Deferred() {
		t.Fatalf("walk's parameter: %s (deferred %v), want an unread struct node", node.Name, node.Deferred())
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	for name, q := range map[string]func() error{
		"Lookup":     func() error { _, err := ix.Lookup("walk"); return err },
		"Match":      func() error { _, err := ix.Match("w*"); return err },
		"Names":      func() error { _, err := ix.Names("*"); return err },
		"TypeByName": func() error { _, err := ix.TypeByName("struct point"); return err },
		"Code":       func() error { _, err := ix.Code(walk); return err },
	} {
		if err := q(); !errors.Is(err, target.ErrClosed) {
			t.Errorf("%s after Close: %v, want target.ErrClosed", name, err)
		}
	}
	if pc, ok := ix.PrologueEnd(walk); ok {
		t.Errorf("PrologueEnd after Close = %#x", pc)
	}
	if m := node.Members(); m != nil {
		t.Errorf("struct node members read after Close: %v", m)
	}
	if walk.Name != "walk" || walk.Params[0].Type.Name != "struct node*" {
		t.Errorf("function model changed after Close: %s(%s)", walk.Name, walk.Params[0].Type.Name)
	}
	// The code is a copy: it reads after Close, and is what objdump says.
	testenv.NeedTool(t, "objdump")
	out, err := exec.Command("objdump", "-d", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := objdumpBytes(string(out), "walk"); string(code) != string(want) || len(code) == 0 {
		t.Errorf("walk's code after Close: % x\nobjdump: % x", code, want)
	}
}

// objdumpBytes collects the instruction bytes objdump -d prints for fn.
func objdumpBytes(dump, fn string) []byte {
	var out []byte
	in := false
	for _, l := range strings.Split(dump, "\n") {
		switch {
		case strings.HasSuffix(l, "<"+fn+">:"):
			in = true
		case in && strings.TrimSpace(l) == "":
			return out
		case in:
			parts := strings.SplitN(l, "\t", 3)
			if len(parts) < 2 {
				continue
			}
			for _, h := range strings.Fields(parts[1]) {
				var x byte
				for _, c := range h {
					x = x<<4 | byte(strings.IndexRune("0123456789abcdef", c))
				}
				out = append(out, x)
			}
		}
	}
	return out
}

// TestCloseDuringQueries: a Close while queries run waits for the running
// one and fails the rest with target.ErrClosed; nothing touches the
// unmapped file (that would kill the test binary, not fail it).
func TestCloseDuringQueries(t *testing.T) {
	b, err := target.Open(testenv.GoFixture(t, testenv.GoDefault))
	if err != nil {
		t.Fatal(err)
	}
	ix, err := OpenWith(b, Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, closed := 0, 0
	for i := 0; i < 4; i++ {
		wg.Go(func() {
			for j := 0; j < 50; j++ {
				fs, err := ix.Match("main.*")
				if err == nil {
					_, err = ix.Code(fs[0])
				}
				mu.Lock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, target.ErrClosed):
					closed++
				default:
					t.Errorf("query: %v", err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Go(func() {
		for {
			mu.Lock()
			n := ok
			mu.Unlock()
			if n > 0 {
				break
			}
			runtime.Gosched()
		}
		b.Close()
	})
	wg.Wait()
	if ok == 0 || closed == 0 {
		t.Errorf("%d queries answered, %d refused: the Close did not land among them", ok, closed)
	}
}
