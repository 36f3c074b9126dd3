package event

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

// The decoding corpus: records as the generated scripts print them, for
// the benchmarks and for the test that the JSON of every record stays the
// same byte for byte while the decoder is made faster.
//
// Kernel runtime (plain lines): the shapes the templates print — a Go
// entry with a string in words, an int and both backtraces; its return; a
// C entry with a C string in words and a user backtrace; a kernel function
// with a qstr's name and length, a pointer, flags, a bool, an enum, a
// float, a slice and an interface; a missing value. The BPF runtime's
// chunked output is stap 4.8's own, saved by `stapgen run --runtime bpf
// --save` of bench/workload's hitc and hitgo (testdata/bpf48-*.out), in
// the one-print-per-value form and in the shared prints of
// script/pieces.go. The merged ones' golden lines are what the decoder of
// main (4bc94e2, before this work) printed for them with stapgen decode.

var corpusSchema = &Schema{Version: 1, Probes: []ProbeSchema{
	{Function: "main.Hit", Site: SiteEntry, Fields: []FieldSchema{
		{Name: "s", Enc: EncStr, Type: "string"}, {Name: "n", Enc: EncInt, Type: "int"},
		{Name: KernelStack, Enc: EncStack, Type: "stack"}, {Name: UserStack, Enc: EncStack, Type: "stack"}}},
	{Function: "main.Hit", Site: SiteReturn, Fields: []FieldSchema{{Name: "~r0", Enc: EncInt, Type: "int"}}},
	{Function: "hit", Site: SiteEntry, Fields: []FieldSchema{
		{Name: "s", Enc: EncStr, Type: "char const*"}, {Name: "n", Enc: EncInt, Type: "long int"},
		{Name: UserStack, Enc: EncStack, Type: "stack"}}},
	{Function: "lookup_one_qstr_excl", Site: SiteEntry, Fields: []FieldSchema{
		{Name: "name->name", Enc: EncStr, Type: "unsigned char const*"}, {Name: "name->len", Enc: EncUint, Type: "u32"},
		{Name: "base", Enc: EncPtr, Type: "struct dentry*"}, {Name: "flags", Enc: EncUint, Type: "unsigned int"},
		{Name: "ok", Enc: EncBool, Type: "bool"}, {Name: "mode", Enc: EncEnum, Type: "enum m", Enums: []Enumerator{{"M_READ", 1}, {"M_WRITE", 2}}},
		{Name: "ratio", Enc: EncFloat, Type: "double"}, {Name: "xs", Enc: EncSlice, ElemEnc: EncInt, Type: "[]int"},
		{Name: "err", Enc: EncIface, Type: "error"}}},
}}

// words is s as the scripts print it in little-endian 64-bit words.
func words(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 8 {
		var w uint64
		for j := 0; j < 8 && i+j < len(s); j++ {
			w |= uint64(s[i+j]) << (8 * j)
		}
		fmt.Fprintf(&b, "%016x", w)
	}
	return b.String()
}

// kernelCorpus is n records of the kernel runtime's shapes.
func kernelCorpus(n int) []byte {
	strs := []string{"the quick brown fox jumps over the lazy dog 0123456", "/usr/lib/x86_64-linux-gnu/libc.so.6",
		"k", "", "tab\there \"quoted\" back\\slash", "caf\xc3\xa9 \xff\xfe bytes", "a-much-longer-file-name-of-a-log-segment-000000000042.log"}
	ustack := "0x4a1260,0x4a15c5,0x43a2b7,0x46d8a1"
	kstack := "0xffffffff81234567:do_sys_openat2,0xffffffff81c00126:entry_SYSCALL_64_after_hwframe,"
	var b bytes.Buffer
	t := int64(1796138519843746811)
	for i := 0; i < n; i++ {
		t += 4321
		cpu, pid := i%2, 20000+i%7
		s := strs[i%len(strs)]
		if i%97 == 0 {
			// A traced program's unterminated output before a record.
			b.WriteString("hello from the program ")
		}
		switch i % 8 {
		case 0, 1, 2:
			fmt.Fprintf(&b, "@@sg1 0 %d %d %d %d %d %d:w%s %d %s %s\n", t, cpu, pid, pid, 1+i%50, len(s), words(s), i, kstack, ustack)
		case 3:
			fmt.Fprintf(&b, "@@sg1 1 %d %d %d %d %d %d\n", t, cpu, pid, pid, 1+i%50, len(s)+i)
		case 4, 5:
			fmt.Fprintf(&b, "@@sg1 2 %d %d %d %d - %d:w%s %d %s\n", t, cpu, pid, pid, len(s), words(s), -i, ustack)
		case 6:
			fmt.Fprintf(&b, "@@sg1 3 %d %d %d %d - %d:w%s %d 0xffff8881%08x %d %d %d f3ff4000000000000 3/4:1,-2,%d 0x4a3b20/0xc000010000\n",
				t, cpu, pid, pid, len(s), words(s), len(s), i, 0x80000|i, i%2, 1+i%3, i)
		case 7:
			fmt.Fprintf(&b, "@@sg1 3 %d %d %d %d - ! ! 0x0 ! 0 5 ! 0/0: 0x0/0x0\n", t, cpu, pid, pid)
		}
	}
	return b.Bytes()
}

// restartSchema is a Go entry probe under the BPF runtime's restart
// handling (restart.go): its morestack stub's range, the runtime's restart
// record, and the function's return.
var restartSchema = &Schema{Version: 1, Probes: []ProbeSchema{
	{Function: "main.Hit", Site: SiteEntry, Restart: []uint64{0x4a1000, 0x4a1020}, Fields: []FieldSchema{
		{Name: "s", Enc: EncStr, Type: "string"}, {Name: "n", Enc: EncInt, Type: "int"},
		{Name: UserStack, Enc: EncStack, Type: "stack"}}},
	{Function: "runtime.copystack", Site: SiteRestart, Fields: []FieldSchema{{Name: "pc", Enc: EncPtr, Type: "uintptr"}}},
	{Function: "main.Hit", Site: SiteReturn, Fields: []FieldSchema{{Name: "~r0", Enc: EncInt, Type: "int"}}},
}}

// restartCorpus is n entries of restartSchema on five threads, each
// thread's entry waiting for its next record: one in 16 is restarted (a
// restart record in the stub, then the entry again), one in 4 returns.
func restartCorpus(n int) []byte {
	strs := []string{"GET /index.html", "", "a-much-longer-file-name-of-a-log-segment-000000000042.log", "caf\xc3\xa9 \xff"}
	ustack := "0x4a1260,0x4a15c5,0x43a2b7,0x46d8a1"
	var b bytes.Buffer
	t := int64(1796138519843746811)
	rec := func(format string, args ...any) {
		t += 3000
		fmt.Fprintf(&b, "@@sg1 "+format+"\n", append([]any{t}, args...)...)
	}
	for i := 0; i < n; i++ {
		tid, s := 30000+i%5, strs[i%len(strs)]
		entry := func() { rec("0 %d 1 4000 %d %d %d:%x %d %s", tid, 1+i%40, len(s), s, i, ustack) }
		entry()
		if i%16 == 0 {
			rec("1 %d 1 4000 %d %d 0x4a1010", tid, 1+i%40)
			entry()
		}
		if i%4 == 3 {
			rec("2 %d 1 4000 %d %d %d", tid, 1+i%40, i*3)
		}
	}
	return b.Bytes()
}

// savedOutput reads a saved run's output: its schema line and its records.
func savedOutput(t testing.TB, name string) (*Schema, []byte) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	head, body, _ := bytes.Cut(b, []byte("\n"))
	js, err := base64.StdEncoding.DecodeString(string(bytes.TrimPrefix(head, []byte("# stapgen-schema: "))))
	if err != nil {
		t.Fatal(err)
	}
	var s Schema
	if err := json.Unmarshal(js, &s); err != nil {
		t.Fatal(err)
	}
	return &s, body
}

// corpora are the inputs of the golden test and the benchmarks.
func corpora(t testing.TB) []struct {
	name string
	s    *Schema
	in   []byte
} {
	cs, c := savedOutput(t, "bpf48-c.out")
	gs, g := savedOutput(t, "bpf48-go.out")
	mcs, mc := savedOutput(t, "bpf48-merged-c.out")
	mgs, mg := savedOutput(t, "bpf48-merged-go.out")
	return []struct {
		name string
		s    *Schema
		in   []byte
	}{{"kernel", corpusSchema, kernelCorpus(800)}, {"bpf-c", cs, c}, {"bpf-go", gs, g}, {"bpf-merged-c", mcs, mc}, {"bpf-merged-go", mgs, mg},
		{"go-restart", restartSchema, restartCorpus(600)}}
}

// appendAllJSON decodes in and appends each event's JSON line to out.
func appendAllJSON(t testing.TB, out []byte, s *Schema, in io.Reader) []byte {
	return appendJSONLines(t, out, NewDecoder(in, s))
}

func appendJSONLines(t testing.TB, out []byte, d *Decoder) []byte {
	for {
		e, err := d.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(e.AppendJSON(out), '\n')
	}
}

var update = flag.Bool("update", false, "rewrite golden files")

// TestCorpusJSON: the JSON of every corpus record is byte-identical to the
// golden lines, which the decoder wrote before it was made faster: the
// values themselves are checked by the decode tests against what the
// programs printed; this holds every byte of the JSON still. The input
// is fed a byte at a time too, so the reader's joins at every offset are
// covered, and decoded with Reuse, each event written before the next.
func TestCorpusJSON(t *testing.T) {
	for _, c := range corpora(t) {
		got := appendAllJSON(t, nil, c.s, bytes.NewReader(c.in))
		golden := "testdata/corpus-" + c.name + ".jsonl"
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: JSON differs from %s at byte %d", c.name, golden, firstDiff(got, want))
		}
		if n := bytes.Count(want, []byte(`"probe":`)); n < 100 {
			t.Errorf("%s: only %d records decoded", c.name, n)
		}
		if got := appendAllJSON(t, nil, c.s, iotest.OneByteReader(bytes.NewReader(c.in))); !bytes.Equal(got, want) {
			t.Errorf("%s: read a byte at a time, JSON differs at byte %d", c.name, firstDiff(got, want))
		}
		d := NewDecoder(bytes.NewReader(c.in), c.s)
		d.Reuse()
		if got := appendJSONLines(t, nil, d); !bytes.Equal(got, want) {
			t.Errorf("%s: reusing values, JSON differs at byte %d", c.name, firstDiff(got, want))
		}
	}
}

// keptJSON decodes every event of d, keeping each, and only then writes
// their JSON lines.
func keptJSON(t testing.TB, d *Decoder) []byte {
	var kept []Event
	for {
		e, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, e)
	}
	var out []byte
	for _, e := range kept {
		out = append(e.AppendJSON(out), '\n')
	}
	return out
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestKeptEqualsStreamed: events a caller keeps are the events a
// streaming caller sees one at a time. Every event of each corpus is kept
// until the whole input is decoded and only then written, so a kept
// value sharing memory with a later record (a reused slab or arena)
// would show as a difference; the streamed ones are written before the
// next is decoded, with Reuse.
func TestKeptEqualsStreamed(t *testing.T) {
	for _, c := range corpora(t) {
		got := keptJSON(t, NewDecoder(bytes.NewReader(c.in), c.s))
		s := NewDecoder(bytes.NewReader(c.in), c.s)
		s.Reuse()
		want := appendJSONLines(t, nil, s)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: kept events' JSON differs from the streamed at byte %d", c.name, firstDiff(got, want))
		}
		if n := bytes.Count(want, []byte(`"probe":`)); n < 100 {
			t.Errorf("%s: only %d records decoded", c.name, n)
		}
	}
}
