package event

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestRestarts: an entry followed on its thread by a restart record whose
// PC is in its function's morestack stub is dropped; any other entry is
// kept, in order, whatever comes between.
func TestRestarts(t *testing.T) {
	s := &Schema{Version: 1, Probes: []ProbeSchema{
		{Function: "main.F", Site: SiteEntry, Fields: []FieldSchema{{Name: "n", Enc: EncInt}}, Restart: []uint64{0x1080, 0x10a0}},
		{Function: "runtime.copystack", Site: SiteRestart, Fields: []FieldSchema{{Name: "pc", Enc: EncPtr}}},
		{Function: "main.G", Site: SiteEntry, Fields: []FieldSchema{{Name: "n", Enc: EncInt}}},
	}}
	entry := func(ts, tid, n int) string { return fmt.Sprintf("@@sg1 0 %d 0 1 %d - %d\n", ts, tid, n) }
	restart := func(ts, tid int, pc uint64) string { return fmt.Sprintf("@@sg1 1 %d 0 1 %d - 0x%x\n", ts, tid, pc) }
	g := func(ts, tid, n int) string { return fmt.Sprintf("@@sg1 2 %d 0 1 %d - %d\n", ts, tid, n) }
	for _, c := range []struct {
		name, in, want string
	}{
		{"restarted", entry(1, 7, 1) + restart(2, 7, 0x1090) + entry(3, 7, 1), "F7:1"},
		{"other function's stub", entry(1, 7, 1) + restart(2, 7, 0x2000) + entry(3, 7, 2), "F7:1 F7:2"},
		{"other thread", entry(1, 7, 1) + restart(2, 8, 0x1090) + entry(3, 7, 2), "F7:1 F7:2"},
		{"another record first", entry(1, 7, 1) + g(2, 7, 5) + restart(3, 7, 0x1090), "F7:1 G7:5"},
		{"interleaved", entry(1, 7, 1) + entry(2, 8, 2) + restart(3, 7, 0x1080) + entry(4, 7, 1) + g(5, 8, 3), "F8:2 F7:1 G8:3"},
		{"too late", entry(1, 7, 1) + g(restartWindow+2, 9, 0) + restart(restartWindow+3, 7, 0x1090), "F7:1 G9:0"},
		{"too late, another stub", entry(1, 7, 1) + g(restartWindow+2, 9, 0) + restart(restartWindow+3, 7, 0x2000), "F7:1 G9:0"},
		{"too late, a record between", entry(1, 7, 1) + g(restartWindow+2, 9, 0) + g(restartWindow+3, 7, 4) + restart(restartWindow+4, 7, 0x1090), "F7:1 G9:0 G7:4"},
		{"at the end", entry(1, 7, 1), "F7:1"},
	} {
		d := NewDecoder(strings.NewReader(c.in), s)
		var got []string
		for {
			e, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s%d:%d", e.Function[5:], e.TID, e.Fields[0].Int))
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
		// Only a restart record of the aged entry's own function and
		// thread is late.
		if late := d.LateRestarts(); late != map[bool]int{true: 1}[c.name == "too late"] {
			t.Errorf("%s: %d late restarts", c.name, late)
		}
	}
}

// TestRestartsHeldLong: while one thread's entry waits for its restart
// record, every record after it is held back; with Reuse each held one
// keeps its own values, so what comes out equals what a caller keeping
// every event sees, the restarted entry dropped.
func TestRestartsHeldLong(t *testing.T) {
	var in strings.Builder
	fmt.Fprintf(&in, "@@sg1 0 1000 0 1 9 1 1:61 1 0x4a1000\n") // waits: thread 9 is quiet
	for i := 0; i < 3000; i++ {
		tid := 1 + i%4
		if i%2 == 0 {
			fmt.Fprintf(&in, "@@sg1 0 %d 0 1 %d 2 %d:%x %d 0x4a12%02x,0x4a13%02x\n", 2000+1000*i, tid, len(fmt.Sprint(i)), fmt.Sprint(i), i, i%256, i%7)
		} else {
			fmt.Fprintf(&in, "@@sg1 2 %d 0 1 %d 2 %d\n", 2000+1000*i, tid, i)
		}
	}
	fmt.Fprintf(&in, "@@sg1 1 4000000 0 1 9 1 0x4a1008\n")
	fmt.Fprintf(&in, "@@sg1 0 4001000 0 1 9 1 1:61 1 0x4a1000\n")
	kept := keptJSON(t, NewDecoder(strings.NewReader(in.String()), restartSchema))
	d := NewDecoder(strings.NewReader(in.String()), restartSchema)
	d.Reuse()
	reused := appendJSONLines(t, nil, d)
	if !bytes.Equal(kept, reused) {
		t.Errorf("reusing, JSON differs from kept events' at byte %d", firstDiff(reused, kept))
	}
	lines := bytes.Split(bytes.TrimSuffix(kept, []byte("\n")), []byte("\n"))
	if d.Restarted() != 1 || len(lines) != 3001 || !bytes.Contains(lines[0], []byte(`"tid":1,`)) || !bytes.Contains(lines[3000], []byte(`"tid":9,`)) {
		t.Errorf("restarted %d, %d events, first %s", d.Restarted(), len(lines), lines[0])
	}
}
