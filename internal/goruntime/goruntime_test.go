package goruntime

import (
	"strings"
	"testing"
)

func TestABI0Name(t *testing.T) {
	for _, tc := range []struct {
		sym, name string
		abi0      bool
	}{
		{"runtime.memmove.abi0", "runtime.memmove", true},
		{"runtime.memmove", "runtime.memmove", false},
		{"main.abi0x", "main.abi0x", false},
		{".abi0", "", true},
	} {
		if n, a := ABI0Name(tc.sym); n != tc.name || a != tc.abi0 {
			t.Errorf("ABI0Name(%q) = %q, %v; want %q, %v", tc.sym, n, a, tc.name, tc.abi0)
		}
	}
}

func TestPreferBodies(t *testing.T) {
	role := func(s string) Role {
		switch s[0] {
		case 'b':
			return Body
		case 'w':
			return Wrapper
		}
		return Other
	}
	for in, want := range map[string]string{
		"w1 b1":    "b1",    // the wrapper of a Go function goes
		"w1":       "w1",    // an assembly function has only its wrapper
		"o1 w1":    "o1 w1", // an abstract function is no body
		"b1 o1 w1": "b1 o1",
		"":         "",
	} {
		if got := strings.Join(PreferBodies(strings.Fields(in), role), " "); got != want {
			t.Errorf("PreferBodies(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestRegABI(t *testing.T) {
	// Producers as Go 1.26 and a GOEXPERIMENT=noregabi-era toolchain write them.
	if !RegABI("Go cmd/compile go1.26.8; regabi") || RegABI("Go cmd/compile go1.16.15") {
		t.Error("RegABI misreads the producer")
	}
}

func TestDictionary(t *testing.T) {
	for name, want := range map[string]DictPlace{
		"main.Sum[go.shape.int]":           DictFirst,
		"main.(*List[go.shape.int]).Push":  DictAfterReceiver,
		"main.Pair[go.shape.int].Swap":     DictAfterReceiver, // value receiver
		"main.Sum[go.shape.int].func1":     NoDict,
		"main.Sum[go.shape.int].gowrap1":   NoDict,
		"type:.eq.main.Pair[go.shape.int]": NoDict,
		"main.Str":                         NoDict,
		"sync.(*HashTrieMap[go.shape.string,go.shape.interface {}]).Load": DictAfterReceiver,
	} {
		if got := Dictionary(name); got != want {
			t.Errorf("Dictionary(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestRegABIVersion: Go 1.17 release notes: "Go 1.17 implements a new way
// of passing function arguments and results using registers" (amd64).
func TestRegABIVersion(t *testing.T) {
	for v, want := range map[string]bool{"go1.16.15": false, "go1.17": true, "go1.19.8": true, "go1.27.3": true, "devel go1.28-abc": true, "go2.0": true} {
		if got := RegABIVersion(v); got != want {
			t.Errorf("RegABIVersion(%q) = %v, want %v", v, got, want)
		}
	}
}
