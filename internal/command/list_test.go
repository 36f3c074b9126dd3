package command

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/debuginfo"
)

// TestListColumnCap: one very long name overflows its column instead of
// widening every line.
func TestListColumnCap(t *testing.T) {
	long := "pkg.Map[go.shape." + strings.Repeat("x", 150) + "].Get"
	fns := []*debuginfo.Function{{Name: "a.B", File: "/src/a.go", Line: 3}, {Name: long, File: "/src/m.go", Line: 9}}
	var b bytes.Buffer
	if err := writeFunctionsText(&b, fns, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || len(lines[0]) > maxColumn+2+len("/src/a.go:3") || !strings.HasPrefix(lines[1], long+"  ") {
		t.Errorf("output:\n%s", b.String())
	}
}
