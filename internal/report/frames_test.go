package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stapgen/stapgen/internal/event"
)

// TestNameFrames: named backtraces print as names in the table (addresses
// where the namer has none) and as a "frames" list beside the addresses in
// JSON, null for an unnamed frame; a record the schema cannot place passes
// through untouched.
func TestNameFrames(t *testing.T) {
	s := &event.Schema{Version: 1, Probes: []event.ProbeSchema{{Function: "xmalloc", Site: event.SiteEntry,
		Fields: []event.FieldSchema{{Name: "user_stack", Enc: event.EncStack, Type: "backtrace"}}}}}
	names := map[uint64]string{0x1010: "xmalloc", 0x2020: "copy_name"}
	namer := func(e event.Event, field string, stack []uint64) []string {
		out := make([]string, len(stack))
		for i, a := range stack {
			out[i] = names[a]
		}
		return out
	}
	in := "@@sg1 0 1 0 10 10 - 0x1010,0x2020,0x7fff0000\nnot a record\n"
	decode := func(sink Sink) { decodeTo(t, in, s, sink) }
	var text, js bytes.Buffer
	decode(NameFrames(NewText(&text, s, TextOptions{}), s, namer))
	if !strings.Contains(text.String(), "[xmalloc copy_name 0x7fff0000]") || !strings.Contains(text.String(), "not a record") {
		t.Errorf("table:\n%s", text.String())
	}
	decode(NameFrames(NewJSON(&js), s, namer))
	first, _, _ := strings.Cut(js.String(), "\n")
	var ev struct {
		Fields map[string]struct {
			Value  []string
			Frames []*string
		}
	}
	if err := json.Unmarshal([]byte(first), &ev); err != nil {
		t.Fatalf("%s: %v", first, err)
	}
	st := ev.Fields["user_stack"]
	if len(st.Value) != 3 || len(st.Frames) != 3 || st.Frames[0] == nil || *st.Frames[0] != "xmalloc" ||
		*st.Frames[1] != "copy_name" || st.Frames[2] != nil || st.Value[2] != "0x7fff0000" {
		t.Errorf("JSON: %s", first)
	}
}

// TestStapNamesFirst: the names stap put in a kernel record (frames in
// modules the host cannot place) stay, in the table, JSON and folded
// stacks; the namer fills only the frames stap left unnamed.
func TestStapNamesFirst(t *testing.T) {
	s := &event.Schema{Version: 1, Probes: []event.ProbeSchema{{Function: "ovl_lookup", Site: event.SiteEntry,
		Fields: []event.FieldSchema{{Name: "kernel_stack", Enc: event.EncStack, Type: "backtrace"}}}}}
	namer := func(e event.Event, field string, stack []uint64) []string {
		out := make([]string, len(stack))
		for i := range stack {
			out[i] = "host_name"
		}
		return out
	}
	in := "@@sg1 0 1 0 10 10 - 0xffffffffc02053a0:ovl_lookup,0xffffffff8135b956:0xffffffff8135b956,0xffffffff81c00126:entry_SYSCALL_64_after_hwframe,\n"
	decode := func(sink Sink) { decodeTo(t, in, s, sink) }
	var text, js, folded bytes.Buffer
	decode(NameFrames(NewText(&text, s, TextOptions{}), s, namer))
	if !strings.Contains(text.String(), "[ovl_lookup host_name entry_SYSCALL_64_after_hwframe]") {
		t.Errorf("table:\n%s", text.String())
	}
	decode(NameFrames(NewJSON(&js), s, func(event.Event, string, []uint64) []string { return nil }))
	if !strings.Contains(js.String(), `"frames":["ovl_lookup",null,"entry_SYSCALL_64_after_hwframe"]`) {
		t.Errorf("JSON without host names:\n%s", js.String())
	}
	decode(NewFolded(&folded, s, namer))
	if got, want := folded.String(), "entry_SYSCALL_64_after_hwframe_[k];host_name_[k];ovl_lookup_[k] 1\n"; got != want {
		t.Errorf("folded = %q, want %q", got, want)
	}
}

// decodeTo decodes the records in into sink, then closes it.
func decodeTo(t *testing.T, in string, s *event.Schema, sink Sink) {
	t.Helper()
	d := event.NewDecoder(strings.NewReader(in), s)
	for {
		e, err := d.Next()
		if err != nil {
			break
		}
		if err := sink.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	sink.Close()
}
