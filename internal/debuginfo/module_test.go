package debuginfo

import (
	"debug/dwarf"
	"debug/elf"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// stdFunc is a subprogram as the standard library reads it: debug/elf
// applies an ET_REL file's .rela.debug_* relocations with symbol values
// alone (section offsets), so its addresses are relative to each
// function's own section.
type stdFunc struct {
	file      string
	line      int
	low, high uint64
	rows      map[uint64]bool // line-table addresses of its unit
}

func stdFunctions(t *testing.T, path string) map[string]stdFunc {
	d := testenv.DWARF(t, path)
	out := map[string]stdFunc{}
	r := d.Reader()
	for {
		cu, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if cu == nil {
			break
		}
		lr, err := d.LineReader(cu)
		if err != nil || lr == nil {
			r.SkipChildren()
			continue
		}
		rows := map[uint64]bool{}
		var le dwarf.LineEntry
		for lr.Next(&le) == nil {
			rows[le.Address] = true
		}
		files := lr.Files()
		for {
			e, err := r.Next()
			if err != nil || e == nil || e.Tag == 0 {
				break
			}
			if e.Children {
				r.SkipChildren()
			}
			name, _ := e.Val(dwarf.AttrName).(string)
			low, ok := e.Val(dwarf.AttrLowpc).(uint64)
			if e.Tag != dwarf.TagSubprogram || name == "" || !ok {
				continue
			}
			f := stdFunc{low: low, rows: rows}
			if n, ok := e.Val(dwarf.AttrDeclFile).(int64); ok && int(n) < len(files) && files[n] != nil {
				f.file = files[n].Name
			}
			l, _ := e.Val(dwarf.AttrDeclLine).(int64)
			f.line = int(l)
			switch h := e.Val(dwarf.AttrHighpc).(type) {
			case int64:
				f.high = low + uint64(h)
			case uint64:
				f.high = h
			}
			out[name] = f
		}
	}
	return out
}

// TestModuleRelocated reads kernel modules' DWARF (ET_REL, every address
// a relocation) and checks each function with an out-of-line copy
// against the standard library's reading of the same file: declaration
// file and line, entry and end, and that the end of the prologue is a row
// of the line table. Our addresses are the function's offset in its
// section (the standard library's) plus where the section was placed.
func TestModuleRelocated(t *testing.T) {
	for _, rel := range []string{"drivers/net/macvlan.ko", "fs/overlayfs/overlay.ko", "net/ipv4/tcp_bbr.ko"} {
		t.Run(rel, func(t *testing.T) {
			path := testenv.ModuleDebugFile(t, rel)
			want := stdFunctions(t, path)
			ef, err := elf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer ef.Close()
			syms, err := ef.Symbols()
			if err != nil {
				t.Fatal(err)
			}
			section := map[string]elf.SectionIndex{}
			for _, s := range syms {
				if elf.ST_TYPE(s.Info) == elf.STT_FUNC {
					section[s.Name] = s.Section
				}
			}
			ix := openIndex(t, path)
			fns, err := ix.Match("*")
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for _, f := range fns {
				w, ok := want[f.Name]
				if f.NoTypes || f.Inlined || !ok {
					continue
				}
				base, ok := ix.Binary().SectionAddr(section[f.Name])
				if !ok || base == 0 {
					t.Errorf("%s: section %d not placed", f.Name, section[f.Name])
					continue
				}
				if f.Entry-base != w.low || f.End-base != w.high {
					t.Errorf("%s: [%#x,%#x) - %#x, standard library [%#x,%#x)", f.Name, f.Entry, f.End, base, w.low, w.high)
				}
				if !strings.HasSuffix(w.file, f.File) || f.Line != w.line {
					t.Errorf("%s: %s:%d, standard library %s:%d", f.Name, f.File, f.Line, w.file, w.line)
				}
				if pe, ok := ix.PrologueEnd(f); ok && !w.rows[pe-base] {
					t.Errorf("%s: prologue end %#x is no line-table row", f.Name, pe-base)
				}
				if len(f.Params) > 0 && f.Params[0].Type == nil {
					t.Errorf("%s: untyped parameter", f.Name)
				}
				checked++
			}
			if checked < 10 {
				t.Fatalf("only %d functions checked of %d", checked, len(fns))
			}
			t.Logf("%d functions agree", checked)
		})
	}
}
