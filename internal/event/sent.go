package event

// sentCount compares the records a BPF script says it printed ("@@sga
// sent N" from its end probe) with those that reached the decoder.
// stapbpf exits once the -c command ends without reading what is still
// in its perf buffers, and says nothing of it.
type sentCount struct {
	said     int64
	ok       bool // the script said
	received int64
}

// Unread is how many records the script printed that never reached the
// decoder (0 when it said no count: the kernel runtime, or a run stopped
// before its end probe). Call it after Next returned io.EOF.
func (d *Decoder) Unread() int64 {
	if !d.sent.ok || d.sent.said <= d.sent.received {
		return 0
	}
	return d.sent.said - d.sent.received
}
