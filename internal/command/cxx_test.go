package command

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// cxxProbes asks for every function of the C++ fixture, with the members
// of its const references read through them.
const cxxProbes = `probe shop::Cart::add entry return it.name it.price it.qty n
probe shop::Cart::operator+= entry it.name it.qty
probe shop::Cart::average return
probe shop::Cart::label entry return it.name
probe shop::geo::area entry return
probe "shop::biggest<long int>" entry return
probe "shop::biggest<int>" entry return
`

var (
	cxxCallRE = regexp.MustCompile(`^CALL (\S+) (.*)$`)
	cxxKVRE   = regexp.MustCompile(`([a-z.]+)=("[^"]*"|\S+)`)
	// An event's probe name, less an overload's signature and a template's
	// arguments, is the name the fixture prints.
	cxxBaseRE = regexp.MustCompile(`\(.*\)$|<.*>$`)
)

// TestRunCXXInVM: the C++ fixture traced in the lab VM by qualified names,
// overloads each by its own probe, templates, members read through const
// references, and double, long and char* returns: every value of every
// call equals what the program printed about it.
func TestRunCXXInVM(t *testing.T) {
	vm := labStap(t, lab.VMModule)
	bin := testenv.CXXFixture(t, testenv.CO0)
	pf := t.TempDir() + "/cxx.probes"
	if err := os.WriteFile(pf, []byte(cxxProbes), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := stapgen(t, "run", "--stap", vm, "-c", bin+" 2", "--format", "json", "--probe-file", pf, bin)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	// What the program printed, per function, in call order.
	calls := map[string][]map[string]string{}
	for _, l := range testenv.Lines([]byte(errs)) {
		m := cxxCallRE.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		kv := map[string]string{}
		for _, p := range cxxKVRE.FindAllStringSubmatch(m[2], -1) {
			kv[p[1]] = strings.Trim(p[2], `"`)
		}
		calls[m[1]] = append(calls[m[1]], kv)
	}
	if len(calls) != 6 { // area and biggest print one name for both
		t.Fatalf("the program printed calls of %d functions:\n%s", len(calls), errs)
	}
	seen := map[string]int{} // entries and returns per function and site
	checked := 0
	for _, e := range parseEvents(t, out) {
		fn := cxxBaseRE.ReplaceAllString(e.str("probe"), "")
		key := fn + " " + e.str("site")
		i := seen[key]
		seen[key]++
		if i >= len(calls[fn]) {
			t.Errorf("%s: event %d, the program printed %d calls", key, i, len(calls[fn]))
			continue
		}
		want := calls[fn][i]
		fields, _ := e["fields"].(map[string]any)
		for name := range fields {
			w, ok := want[name]
			if name == "return" {
				w, ok = want["ret"]
			}
			if !ok {
				continue
			}
			if got := cxxValue(t, e, name, w); got != w {
				t.Errorf("%s call %d: %s = %s, the program printed %s", key, i, name, got, w)
			}
			checked++
		}
	}
	// Per loop: add ×2 (4 fields at the entry, the return and the 4 again
	// at the return), += 2, average 1, label ×2 (1, then return and 1),
	// area(long, long) 2 + 1, area(double) 1 + 1, biggest ×2 (2 + 1).
	if want := 2 * (2*9 + 2 + 1 + 2*3 + 3 + 2 + 2*3); checked != want {
		t.Errorf("compared %d values, want %d\nevents:\n%s\nprogram:\n%s", checked, want, out, errs)
	}
}

// cxxValue is an event's field as the fixture prints it: strings as they
// are, numbers in the format of the printed value (doubles with %.2f).
func cxxValue(t *testing.T, e jsonEvent, name, printed string) string {
	f := e.field(name)
	if _, ok := f["hex"]; ok {
		s, trunc := e.text(t, name)
		if trunc {
			s += "(truncated)"
		}
		return s
	}
	switch v := f["value"].(type) {
	case string:
		return v
	case float64:
		if strings.Contains(printed, ".") {
			return fmt.Sprintf("%.2f", v)
		}
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprint(f)
}

// TestListShowCXX: list and show spell the C++ fixture's functions as its
// source declares them: qualified, each overload with its parameters, the
// reference type as stap -L prints it ("struct Item const&"), and the
// mangled name in JSON is the symbol nm lists at the function's entry.
func TestListShowCXX(t *testing.T) {
	bin := testenv.CXXFixture(t, testenv.CO0)
	out, errs, code := stapgen(t, "list", bin, "shop::geo::*")
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, errs)
	}
	lines := testenv.Lines([]byte(out))
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "shop::geo::area(long int w, long int h) ") || !strings.HasPrefix(lines[1], "shop::geo::area(double r) ") {
		t.Errorf("list shop::geo::*:\n%s", out)
	}
	out, errs, code = stapgen(t, "show", "--json", bin, "shop::Cart::add")
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, errs)
	}
	var s struct {
		Name, Lang, Entry string
		Linkage           string `json:"linkage_name"`
		Params            []struct{ Name, Type string }
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	nm, err := exec.Command("nm", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	sym := regexp.MustCompile(`(?m)^0*` + strings.TrimPrefix(s.Entry, "0x") + ` T (\S+)$`).FindSubmatch(nm)
	if s.Name != "shop::Cart::add" || s.Lang != "c++" || sym == nil || string(sym[1]) != s.Linkage ||
		len(s.Params) != 3 || s.Params[1].Type != "struct Item const&" || s.Params[0].Type != "class Cart* const" {
		t.Errorf("show shop::Cart::add: %+v (nm at the entry: %q)", s, sym)
	}
}
