package symfile

import (
	"bytes"
	"debug/elf"
	"os"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// FuzzDebugFile feeds hostile ELF bytes to the writer: whatever debug/elf
// accepts must give a file or an error, never a panic, and a file written
// must parse again with the symbols asked for.
func FuzzDebugFile(f *testing.F) {
	bin, _ := stripped(f, testenv.GoDefault)
	b, err := os.ReadFile(bin)
	if err != nil {
		f.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		f.Fatal(err)
	}
	seed, err := debugFile(ef, bytes.NewReader(b), []symbol{{"main.x", 0x401000, 16}}, "seed", nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(b[:4096])
	f.Fuzz(func(t *testing.T, data []byte) {
		ef, err := elf.NewFile(bytes.NewReader(data))
		if err != nil {
			return
		}
		out, err := debugFile(ef, bytes.NewReader(data), []symbol{{"main.(*T).M", 0x1000, 8}, {AliasPrefix + "0x1004", 0x1004, 1}}, "fuzz", []uint64{0x1004}, nil)
		if err != nil {
			return
		}
		back, err := elf.NewFile(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("written file does not parse: %v", err)
		}
		syms, err := back.Symbols()
		if err != nil || len(syms) != 2 || syms[0].Name != "main.(*T).M" || syms[1].Value != 0x1004 {
			t.Fatalf("written symbols %v, %v", syms, err)
		}
	})
}
