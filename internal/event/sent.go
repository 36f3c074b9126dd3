package event

// sentCount compares the records a BPF script says it printed ("@@sga
// sent N" from its end probe) with those that reached the decoder. Two
// things lose them: a full perf buffer (stapbpf says "lost N perf_events",
// in events, not records) and stapbpf exiting once the -c command ends
// without reading what its perf buffers still hold, of which it says
// nothing.
type sentCount struct {
	said     int64
	ok       bool // the script said
	received int64
}

// Missing is how many records the script printed that never reached the
// decoder, for either reason (0 when it said no count: the kernel
// runtime, or a run stopped before its end probe). Call it after Next
// returned io.EOF.
func (d *Decoder) Missing() int64 {
	if !d.sent.ok || d.sent.said <= d.sent.received {
		return 0
	}
	return d.sent.said - d.sent.received
}
