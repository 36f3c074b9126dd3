package plan

// BPF handler limits. stapbpf gives each handler a 512-byte stack, and a
// string read with its unrolled word prints takes most of it: two strings
// in one handler fail ("insufficient BPF stack size", or stap 4.8's
// assertion max_tmp_space <= MAX_BPF_STACK). Handlers on the same probe
// point run one after the other for each hit, in reverse order of
// declaration, so a record's values are spread over several handlers,
// one string (or slice) each, which print one record between them.

// heavy tells a value that needs a handler of its own under BPF.
func heavy(v Value) bool {
	switch v.(type) {
	case Bytes, CString, Slice:
		return true
	}
	return false
}

// bpfSplit is where a BPF probe's fields start new handlers: before every
// heavy value but the first.
func bpfSplit(fields []Field) []int {
	var out []int
	seen := false
	for i, f := range fields {
		if !heavy(f.Value) {
			continue
		}
		if seen {
			out = append(out, i)
		}
		seen = true
	}
	return out
}

// strMax is the --strlen bound of a string value, for the decoder: the
// BPF runtime's word reads may print more.
func strMax(v Value) int {
	switch v := v.(type) {
	case Bytes:
		return v.Max
	case CString:
		return v.Max
	}
	return 0
}

// bpfReturnSplit is bpfSplit for a C .return handler, where each @entry
// value is one more map read: a string there leaves room for nothing else
// (stap 4.8: a returned string and one entry value fit, a third print did
// not), so the values after a heavy one start a handler of their own.
func bpfReturnSplit(fields []Field) []int {
	var out []int
	for i, f := range fields {
		if i > 0 && (heavy(f.Value) || heavy(fields[i-1].Value)) {
			out = append(out, i)
		}
	}
	return out
}
