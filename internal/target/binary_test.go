package target

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// readelfBuildID is the ground truth for build-ids: binutils' own parse.
func readelfBuildID(t *testing.T, path string) string {
	t.Helper()
	testenv.NeedTool(t, "readelf")
	out, err := exec.Command("readelf", "-n", path).Output()
	if err != nil {
		t.Fatalf("readelf -n %s: %v", path, err)
	}
	m := regexp.MustCompile(`Build ID: ([0-9a-f]+)`).FindSubmatch(out)
	if m == nil {
		return ""
	}
	return string(m[1])
}

func TestOpenFixtures(t *testing.T) {
	type want struct {
		kind Kind
		pie  bool
		dw   bool
	}
	cases := []struct {
		name string
		path string
		want want
	}{
		{"go-default", testenv.GoFixture(t, testenv.GoDefault), want{KindGo, false, true}},
		{"go-noopt", testenv.GoFixture(t, testenv.GoNoOpt), want{KindGo, false, true}},
		{"go-pie", testenv.GoFixture(t, testenv.GoPIE), want{KindGo, true, true}},
		{"go-external", testenv.GoFixture(t, testenv.GoExternal), want{KindGo, false, true}},
		{"go-stripped", testenv.GoFixture(t, testenv.GoStripped), want{KindGo, false, false}},
		// Debian's gcc builds PIE by default.
		{"c-O0", testenv.CFixture(t, testenv.CO0), want{KindC, true, true}},
		{"c-O2", testenv.CFixture(t, testenv.CO2), want{KindC, true, true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := OpenWith(c.path, Options{DebugDirs: []string{t.TempDir()}})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			got := want{b.Kind, b.PIE, b.HasDWARF()}
			if got != c.want {
				t.Errorf("kind/pie/dwarf = %+v, want %+v", got, c.want)
			}
			if b.Arch != "amd64" && runtime.GOARCH == "amd64" {
				t.Errorf("arch %q", b.Arch)
			}
			if id := readelfBuildID(t, c.path); b.BuildID != id {
				t.Errorf("build-id %q, readelf says %q", b.BuildID, id)
			}
			if b.Kind == KindGo && b.GoVersion != runtime.Version() {
				t.Errorf("go version %q, built with %q", b.GoVersion, runtime.Version())
			}
			if b.Kind != KindGo && b.GoVersion != "" {
				t.Errorf("C binary has go version %q", b.GoVersion)
			}
		})
	}
}

func TestRequireDWARF(t *testing.T) {
	b, err := OpenWith(testenv.GoFixture(t, testenv.GoStripped), Options{DebugDirs: []string{t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.RequireDWARF()
	var nd *NoDebugInfoError
	if !errors.Is(err, ErrNoDebugInfo) || !errors.As(err, &nd) || nd.Hint == "" {
		t.Fatalf("RequireDWARF = %v, want a NoDebugInfoError with a hint", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "script.sh")
	os.WriteFile(text, []byte("#!/bin/sh\necho hi\n"), 0o755)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o644)
	src, err := os.ReadFile(testenv.CFixture(t, testenv.CO0))
	if err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(dir, "truncated")
	os.WriteFile(trunc, src[:len(src)/2], 0o755)
	header := filepath.Join(dir, "header-only")
	os.WriteFile(header, src[:70], 0o755)

	cases := []struct {
		path string
		is   error
		typ  bool // *FormatError expected
	}{
		{text, ErrNotELF, false},
		{empty, ErrNotELF, false},
		{dir, ErrNotELF, false},
		{trunc, nil, true},
		{header, nil, true},
		{filepath.Join(dir, "missing"), os.ErrNotExist, false},
	}
	for _, c := range cases {
		b, err := Open(c.path)
		if err == nil {
			b.Close()
			t.Errorf("%s: opened, want error", c.path)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", c.path, err)
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: %v, want %v", c.path, err, c.is)
		}
		var fe *FormatError
		if c.typ && !errors.As(err, &fe) {
			t.Errorf("%s: %v (%T), want *FormatError", c.path, err, err)
		}
	}
}

// TestReadAt compares code bytes with what debug/elf reads from .text.
func TestReadAt(t *testing.T) {
	for _, p := range []string{testenv.GoFixture(t, testenv.GoDefault), testenv.CFixture(t, testenv.CO2)} {
		b, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		ef, err := elf.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		text := ef.Section(".text")
		want, _ := text.Data()
		got, err := b.ReadAt(text.Addr+16, 64)
		if err != nil || !bytes.Equal(got, want[16:80]) {
			t.Errorf("%s: ReadAt = %x, %v; want %x", p, got, err, want[16:80])
		}
		if _, err := b.ReadAt(text.Addr+text.Size-4, 8); err == nil {
			t.Errorf("%s: read across the end of .text succeeded", p)
		}
		if _, err := b.ReadAt(1, 4); err == nil {
			t.Errorf("%s: read at unmapped address 1 succeeded", p)
		}
		ef.Close()
		b.Close()
	}
}

// TestSectionCompressed checks that Go's zlib-compressed DWARF is
// inflated to what debug/elf gives.
func TestSectionCompressed(t *testing.T) {
	p := testenv.GoFixture(t, testenv.GoDefault)
	b, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ef, _ := elf.Open(p)
	defer ef.Close()
	s := ef.Section(".debug_info")
	testenv.Need(t, s.Flags&elf.SHF_COMPRESSED != 0, "the Go fixture's DWARF is not compressed on this toolchain")
	want, _ := s.Data()
	got, err := b.Section(".debug_info")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Section(.debug_info): %d bytes, %v; want %d bytes", len(got), err, len(want))
	}
	if d, err := b.Section(".no_such_section"); d != nil || err != nil {
		t.Errorf("absent section = %v, %v", d, err)
	}
}

// TestUseAfterClose: Use runs while the file is mapped, and refuses once
// Close has unmapped it (touching the mapping then is a SIGSEGV).
func TestUseAfterClose(t *testing.T) {
	b, err := Open(testenv.CFixture(t, testenv.CO0))
	if err != nil {
		t.Fatal(err)
	}
	ran := false
	if err := b.Use(func() { ran = true }); err != nil || !ran {
		t.Fatalf("Use on an open binary: ran %v, %v", ran, err)
	}
	b.Close()
	ran = false
	if err := b.Use(func() { ran = true }); !errors.Is(err, ErrClosed) || ran {
		t.Errorf("Use after Close: ran %v, %v; want ErrClosed", ran, err)
	}
	if !b.Closed() {
		t.Error("Closed() is false after Close")
	}
}

// TestArchRefused: an arm64 Go binary is refused
// at open with the typed error, instead of being traced with x86-64
// registers and RET decoding. The machine comes from readelf, not from
// the code under test.
func TestArchRefused(t *testing.T) {
	bin := testenv.GoFixture(t, testenv.GoARM64)
	testenv.NeedTool(t, "readelf")
	out, err := exec.Command("readelf", "-h", bin).Output()
	if err != nil || !strings.Contains(string(out), "AArch64") {
		t.Fatalf("readelf -h %s: %v\n%s", bin, err, out)
	}
	b, err := Open(bin)
	var ae *ArchError
	if !errors.As(err, &ae) || !errors.Is(err, ErrUnsupportedArch) || ae.Arch != "arm64" {
		t.Fatalf("Open(arm64 binary) = %v, %v; want *ArchError arm64", b, err)
	}
	if !strings.Contains(err.Error(), "arm64") || strings.Contains(err.Error(), "\n") {
		t.Errorf("message %q: want one line naming the architecture", err)
	}
}
