package kernelhist

import (
	"slices"
	"testing"
)

func TestRenamed(t *testing.T) {
	// The rename the project's kernel example depends on: Debian's 6.1
	// kernel has lookup_one_qstr_excl, stap tutorials say __lookup_hash.
	if got := Renamed("__lookup_hash"); !slices.Equal(got, []string{"lookup_one_qstr_excl"}) {
		t.Errorf("Renamed(__lookup_hash) = %v", got)
	}
	if got := Renamed("vfs_read"); got != nil {
		t.Errorf("Renamed(vfs_read) = %v, want nil", got)
	}
	Renamed("sys_open")[0] = "x"
	if Renamed("sys_open")[0] != "do_sys_openat2" {
		t.Error("Renamed hands out its table")
	}
}
