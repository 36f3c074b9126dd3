package command

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/testenv"
)

// TestShowKernel: the ground truth for the Debian 6.1 kernel.
func TestShowKernel(t *testing.T) {
	vmlinux := testenv.Vmlinux(t)
	out, errs, code := stapgen(t, "show", vmlinux, "lookup_one_qstr_excl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, re := range []string{`(?m)^  name\s+struct qstr const\*\s`, `(?m)^  base\s+struct dentry\*\s`, `(?m)^  flags\s+unsigned int\s`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("missing %s in:\n%s", re, out)
		}
	}
	// The old name points to the new one.
	_, errs, code = stapgen(t, "show", vmlinux, "__lookup_hash")
	if code != ExitNotFound || !strings.Contains(errs, "lookup_one_qstr_excl") {
		t.Errorf("__lookup_hash: exit %d, %q", code, errs)
	}
}

type showJSON struct {
	Name    string   `json:"name"`
	Entry   string   `json:"entry"`
	Rets    []string `json:"rets"`
	Params  []struct{ Name, Type, ABI string }
	Results []struct{ Name, Type, ABI string }
}

// TestShowGoABI: the register assignment of main.Many (nine integer
// registers, then the stack) and its RET sites, against objdump.
func TestShowGoABI(t *testing.T) {
	bin := testenv.GoFixture(t, testenv.GoDefault)
	out, errs, code := stapgen(t, "show", "--json", bin, "main.Many")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var s showJSON
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := []string{"rax", "rbx", "rcx", "rdi", "rsi", "r8", "r9", "r10", "r11", "stack CFA+0", "stack CFA+8"}
	var got []string
	for _, p := range s.Params {
		got = append(got, p.ABI)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("params ABI = %q, want %q", got, want)
	}
	if len(s.Results) != 1 || s.Results[0].ABI != "rax" {
		t.Errorf("results = %+v", s.Results)
	}
	if w := testenv.ObjdumpRets(t, bin, "main.Many"); strings.Join(s.Rets, " ") != strings.Join(w, " ") {
		t.Errorf("rets = %v, objdump says %v", s.Rets, w)
	}
}

// TestListStripped: names and entries of a stripped Go binary come from
// .gopclntab and agree with the unstripped build's symbols.
func TestListStripped(t *testing.T) {
	stripped := testenv.GoFixture(t, testenv.GoStripped)
	out, errs, code := stapgen(t, "list", "--json", stripped, "main.*")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, `"name":"main.Str"`) || !strings.Contains(out, `"no_types":true`) {
		t.Errorf("stripped listing:\n%s", out)
	}
}

// TestBadTargets: one clear line and the target exit code, never a panic.
func TestBadTargets(t *testing.T) {
	dir := t.TempDir()
	notELF := filepath.Join(dir, "notelf")
	os.WriteFile(notELF, []byte("#!/bin/sh\necho hi\n"), 0o755)
	bin := testenv.GoFixture(t, testenv.GoDefault)
	b, _ := os.ReadFile(bin)
	trunc := filepath.Join(dir, "truncated")
	os.WriteFile(trunc, b[:4096], 0o755)
	cbin := testenv.CFixture(t, testenv.CO0)
	nodbg := filepath.Join(dir, "nodbg")
	if out, err := exec.Command("strip", "-o", nodbg, cbin).CombinedOutput(); err != nil {
		t.Fatalf("strip: %v %s", err, out)
	}
	for _, tc := range []struct {
		target string
		code   int
		msg    string
	}{
		{filepath.Join(dir, "missing"), ExitTarget, "no such file"},
		{notELF, ExitTarget, "not an ELF file"},
		{trunc, ExitTarget, ""},
		{nodbg, ExitTarget, "DWARF"},
	} {
		_, errs, code := stapgen(t, "list", tc.target)
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		if code != tc.code || !strings.Contains(errs, tc.msg) || len(lines) > 2 || strings.Contains(errs, "goroutine") {
			t.Errorf("%s: exit %d, stderr %q", filepath.Base(tc.target), code, errs)
		}
	}
}

// TestUsageErrors: bad flags and requests exit 2 with one line.
func TestUsageErrors(t *testing.T) {
	bin := testenv.GoFixture(t, testenv.GoDefault)
	for _, args := range [][]string{
		{"show", bin},
		{"gen", bin, `main.Str"); system("id`},
		{"gen", bin, "main.Str", "--fields", "s; exit()"},
		{"gen", bin, "main.Str", "--where", "s == 1 || 1"},
		{"gen", bin, "main.Str", "--runtime", "dyninst"},
		{"gen", bin, "main.Str", "--process", `x"y`},
		{"run", "-c", "true", "-x", "1", bin, "main.Str"},
		{"list", "--no-such-flag", bin},
	} {
		_, errs, code := stapgen(t, args...)
		if code != ExitUsage || strings.Count(strings.TrimSpace(errs), "\n") > 1 {
			t.Errorf("%q: exit %d, stderr %q", args, code, errs)
		}
	}
}
