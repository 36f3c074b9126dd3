package command

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// TestGoStringBytesInVM: the kernel runtime prints a Go string raw in its
// record's one printf when the bytes it shows hold no NUL and its bound is
// at most 510 bytes (templates/kernel.stp.tmpl, guard.Bytes), newlines,
// framing bytes and a record's magic included, and through __sg_gstr's hex
// otherwise (empty, a NUL, --strlen 2000); either way every byte the
// program passed comes back with its length, up to the bound and marked
// truncated past it.
func TestGoStringBytesInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	for _, strlen := range []int{0, 2000} {
		t.Run(fmt.Sprintf("strlen=%d", strlen), func(t *testing.T) {
			runStrCalls(t, []string{"--stap", vm}, bin, strlen, 128, rawOnKernel)
		})
	}
}

// rawOnKernel: one user_string_n copies the bytes shown, and stops at a
// NUL; it returns at most 510 bytes.
func rawOnKernel(full string, bound int) bool {
	m := min(len(full), bound)
	return m > 0 && bound <= 510 && !strings.Contains(full[:m], "\x00")
}
