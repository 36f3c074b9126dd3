package report

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/stapgen/stapgen/internal/event"
)

// TestFolded: stacks are counted root first, kernel frames marked and on
// top of user frames, separators kept out of names, records without a
// stack (returns, errors) ignored.
func TestFolded(t *testing.T) {
	s := &event.Schema{Probes: []event.ProbeSchema{
		{Function: "xmalloc", Site: event.SiteEntry, Fields: []event.FieldSchema{
			{Name: "n", Enc: event.EncInt}, {Name: "kernel_stack", Enc: event.EncStack}, {Name: "user_stack", Enc: event.EncStack}}},
		{Function: "xmalloc", Site: event.SiteReturn},
	}}
	names := map[uint64]string{1: "xmalloc", 2: "copy_name", 3: "main", 4: "odd;name x", 10: "do_sys", 11: "entry_SYSCALL"}
	namer := func(e event.Event, field string, stack []uint64) []string {
		out := make([]string, len(stack))
		for i, a := range stack {
			out[i] = names[a]
			if out[i] == "" {
				out[i] = "0x" + strconv.FormatUint(a, 16)
			}
		}
		return out
	}
	ev := func(k, u []uint64) event.Event {
		return event.Event{Probe: 0, Function: "xmalloc", Fields: []event.Value{{Int: 1}, {Stack: k}, {Stack: u}}}
	}
	var b bytes.Buffer
	f := NewFolded(&b, s, namer)
	for _, e := range []event.Event{
		ev(nil, []uint64{1, 2, 3}), ev(nil, []uint64{1, 2, 3}), ev(nil, []uint64{1, 4}),
		ev([]uint64{10, 11}, []uint64{1, 3}),
		{Probe: 1, Function: "xmalloc"}, {Probe: -1, Raw: "x"}, {Probe: 0, Err: "partial record"},
	} {
		f.Event(e)
	}
	f.Close()
	want := "main;copy_name;xmalloc 2\nmain;xmalloc;entry_SYSCALL_[k];do_sys_[k] 1\nodd:name_x;xmalloc 1\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
