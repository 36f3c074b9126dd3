package target

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(dst), 0o755)
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	io.Copy(out, in)
}

// TestFindKernel uses the C fixture as a stand-in vmlinux: FindKernel only
// needs an ELF file with .debug_info at a known place.
func TestFindKernel(t *testing.T) {
	const rel = "6.1.0-99-test"
	withDWARF := testenv.CFixture(t, testenv.CO0)
	stripped := testenv.GoFixture(t, testenv.GoStripped)

	cases := []struct {
		name  string
		files map[string]string // path under root → source
		want  string
	}{
		{"debian-dbg", map[string]string{"/usr/lib/debug/boot/vmlinux-" + rel: withDWARF}, "/usr/lib/debug/boot/vmlinux-" + rel},
		{"fedora", map[string]string{"/usr/lib/debug/lib/modules/" + rel + "/vmlinux": withDWARF}, "/usr/lib/debug/lib/modules/" + rel + "/vmlinux"},
		{"build-tree", map[string]string{"/lib/modules/" + rel + "/build/vmlinux": withDWARF}, "/lib/modules/" + rel + "/build/vmlinux"},
		{"stripped-first-is-skipped", map[string]string{
			"/usr/lib/debug/boot/vmlinux-" + rel: stripped,
			"/boot/vmlinux-" + rel:               withDWARF,
		}, "/boot/vmlinux-" + rel},
		{"none", map[string]string{"/boot/vmlinux-" + rel: stripped}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			for p, src := range c.files {
				copyFile(t, src, filepath.Join(root, p))
			}
			got, err := FindKernel(rel, root)
			if c.want == "" {
				if !errors.Is(err, ErrKernelNotFound) {
					t.Fatalf("FindKernel = %q, %v; want ErrKernelNotFound", got, err)
				}
				return
			}
			if err != nil || got != filepath.Join(root, c.want) {
				t.Fatalf("FindKernel = %q, %v; want %q", got, err, c.want)
			}
			p, err := Resolve(KernelTarget, rel, root, nil)
			if err != nil || p != got {
				t.Fatalf("Resolve(kernel) = %q, %v", p, err)
			}
		})
	}
	if _, err := FindKernel("../../etc", t.TempDir()); err == nil {
		t.Error("release with a slash accepted")
	}
}

// TestVmlinux checks classification and symbols of the real Debian kernel.
func TestVmlinux(t *testing.T) {
	p := testenv.Vmlinux(t)
	b, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Kind != KindKernel || b.PIE || !b.HasDWARF() {
		t.Fatalf("kind=%v pie=%v dwarf=%v", b.Kind, b.PIE, b.HasDWARF())
	}
	if id := readelfBuildID(t, p); id != b.BuildID {
		t.Errorf("build-id %q, readelf %q", b.BuildID, id)
	}
	st, err := b.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(st.Lookup("lookup_one_qstr_excl")); n != 1 {
		t.Errorf("lookup_one_qstr_excl: %d symbols", n)
	}
	// Static inline helpers are emitted once per unit that uses them.
	if n := len(st.Lookup("jhash")); n < 2 {
		t.Errorf("jhash: %d symbols, want duplicates kept", n)
	}
}
