package event

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// hs is the LEN:HEX spelling of s.
func hs(s string) string { return fmt.Sprintf("%d:%s", len(s), hex.EncodeToString([]byte(s))) }

// errTok is the dyn token of a non-empty interface holding a value of
// type name, with parts.
func errTok(name string, parts ...string) string {
	s := "0x10/0x20=" + hs(name)
	if len(parts) > 0 {
		s += "(" + strings.Join(parts, ",") + ")"
	}
	return s
}

// TestDynFormat: tokens as the script prints them decode to what fmt's %v
// prints for the same Go values (the expected column is computed by fmt,
// not written by hand).
func TestDynFormat(t *testing.T) {
	enoent := errTok("syscall.Errno", "u2")
	pathErr := errTok("*fs.PathError", "s"+hs("open"), "s"+hs("/x"), "d"+enoent)
	tm := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
	words := (*[2]uint64)(unsafe.Pointer(&tm))
	mono := time.Now()
	mwords := (*[2]uint64)(unsafe.Pointer(&mono))
	for _, c := range []struct {
		tok  string
		want any
	}{
		{"nil", nil},
		{errTok("*errors.errorString", "s"+hs("boom")), errors.New("boom")},
		{errTok("*fmt.wrapError", "s"+hs("w: boom"), "d"+errTok("*errors.errorString", "s"+hs("boom"))), fmt.Errorf("w: %w", errors.New("boom"))},
		{pathErr, &fs.PathError{Op: "open", Path: "/x", Err: syscall.ENOENT}},
		{errTok("*os.SyscallError", "s"+hs("mount"), "d"+errTok("syscall.Errno", "u1")), os.NewSyscallError("mount", syscall.EPERM)},
		{errTok("*net.OpError", "s"+hs("dial"), "s"+hs("tcp"), "dnil", "dnil", "d"+errTok("syscall.Errno", "u111")), &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}},
		{errTok("*net.OpError", "s"+hs("read"), "s"+hs(""), "dnil", "dnil", "d"+errTok("syscall.Errno", "u104")), &net.OpError{Op: "read", Err: syscall.ECONNRESET}},
		{errTok("context.deadlineExceededError"), fmt.Errorf("%w", errors.Join()).Error()[:0] + "context deadline exceeded"},
		{errTok("int", "i-42"), -42},
		{errTok("uint16", "u65000"), uint16(65000)},
		{errTok("bool", "i1"), true},
		{errTok("string", "s"+hs("a b")), "a b"},
		{errTok("float64", fmt.Sprintf("f%x", math.Float64bits(-1e100))), -1e100},
		{errTok("float32", fmt.Sprintf("g%x", math.Float32bits(1.1))), float32(1.1)},
		{errTok("complex128", fmt.Sprintf("f%x", math.Float64bits(1)), fmt.Sprintf("f%x", math.Float64bits(-2))), complex(1, -2)},
		{errTok("time.Duration", "i1500000000"), 1500 * time.Millisecond},
		{errTok("time.Time", fmt.Sprintf("u%d", words[0]), fmt.Sprintf("u%d", words[1]), "u0"), tm},
		{errTok("time.Time", fmt.Sprintf("u%d", mwords[0]), fmt.Sprintf("u%d", mwords[1]), "u0"), mono.UTC()},
	} {
		g, err := parseDyn([]byte(c.tok))
		if err != nil {
			t.Errorf("%s: %v", c.tok, err)
			continue
		}
		want := fmt.Sprintf("%v", c.want)
		if tm, ok := c.want.(time.Time); ok && tm.Equal(mono) {
			// UTC() drops the monotonic reading that String prints.
			_, m, _ := strings.Cut(mono.String(), " m=")
			want = mono.UTC().String() + " m=" + m
		}
		if got := g.String(); got != want {
			t.Errorf("%s:\n got %q\nwant %q", c.tok, got, want)
		}
	}
}

// TestDynCutShort: a token a fault cut short decodes as far as it goes,
// marked truncated, and its JSON is valid.
func TestDynCutShort(t *testing.T) {
	full := errTok("*fs.PathError", "s"+hs("open"), "s"+hs("/x"), "d"+errTok("syscall.Errno", "u2"))
	for i := strings.Index(full, "=") + 1; i < len(full)-1; i++ {
		g, err := parseDyn([]byte(full[:i]))
		if err != nil || full[i] == '(' {
			// Cut inside a length or a number: malformed, reported as
			// such; cut before the parts: a value with none.
			continue
		}
		if !g.Truncated {
			t.Errorf("%q: not marked truncated", full[:i])
		}
		v := Value{Enc: EncDyn, Go: g, Type: "error"}
		if !json.Valid(v.AppendJSON(nil)) {
			t.Errorf("%q: invalid JSON %s", full[:i], v.AppendJSON(nil))
		}
	}
	g, err := parseDyn([]byte(full))
	if err != nil || g.Truncated || g.String() != "open /x: no such file or directory" {
		t.Errorf("whole token: %v %+v", err, g)
	}
	js := string((Value{Enc: EncDyn, Go: g, Type: "error"}).AppendJSON(nil))
	for _, w := range []string{`"go_type":"*fs.PathError"`, `"parts":["open","/x",{"value":"no such file or directory","go_type":"syscall.Errno"`, `"errno":"ENOENT"`} {
		if !strings.Contains(js, w) {
			t.Errorf("JSON %s lacks %s", js, w)
		}
	}
}

// TestDynNameUnread: a name the script could not read ("!": its page was
// not in memory) is no name, said so in the JSON, and no nil interface;
// the value read beside it still decodes. It printed as "0:" before, read
// as an empty name (TestGoValuesInVM/host-pie once: go_type null for the
// program's *errors.errorString).
func TestDynNameUnread(t *testing.T) {
	g, err := parseDyn([]byte("0x10/0x20=!(s" + hs("boom") + ")"))
	if err != nil {
		t.Fatal(err)
	}
	if !g.TypeUnread || g.Type != "" || g.Truncated || g.String() != "boom" {
		t.Errorf("%+v: %q", g, g.String())
	}
	js := string((Value{Enc: EncDyn, Go: g, Type: "error"}).AppendJSON(nil))
	if !json.Valid([]byte(js)) || !strings.Contains(js, `"go_type":null,"go_type_unreadable":true`) {
		t.Errorf("JSON %s", js)
	}
	if g, err := parseDyn([]byte("0x10/0x20=!")); err != nil || !g.TypeUnread || g.String() == "<nil>" {
		t.Errorf("no parts: %v %+v %q", err, g, g.String())
	}
}

// FuzzDyn: no token makes the dyn parser panic, loop or write invalid JSON.
func FuzzDyn(f *testing.F) {
	f.Add([]byte("nil"))
	f.Add([]byte(errTok("*fs.PathError", "s"+hs("open"), "s"+hs("/x"), "d"+errTok("syscall.Errno", "u2"))))
	f.Add([]byte(errTok("complex128", "f3ff0000000000000", "fc000000000000000")))
	f.Add([]byte("0x1/0x2=3:616263(d0x1/0x2=1:61(d0x1/0x2=1:61(!"))
	f.Add([]byte("0x1/0x2=!(d0x1/0x2=!(s4:626f6f6d))"))
	f.Fuzz(func(t *testing.T, tok []byte) {
		g, err := parseDyn(tok)
		if err != nil {
			return
		}
		_ = g.String()
		if b := (Value{Enc: EncDyn, Go: g}).AppendJSON(nil); !json.Valid(b) {
			t.Fatalf("invalid JSON %s", b)
		}
	})
}
