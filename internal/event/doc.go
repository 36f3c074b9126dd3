// Package event defines the record format that generated scripts print and
// decodes it back into events.
//
// The plan (internal/plan) owns a Schema; templates print records that follow
// it and the Decoder reads them back with the same Schema, so the two sides
// can never disagree about what a column means.
//
// # Record format (version 1)
//
// One record is one line. It may be preceded on the same line by unrelated
// bytes (a traced program's unterminated output), so the decoder looks for
// the magic anywhere in a line and takes the record from there:
//
//		@@sg1 PROBE TIME CPU PID TID GOID FIELD...
//
//	  - PROBE: decimal index into Schema.Probes.
//	  - TIME: nanoseconds (gettimeofday_ns), CPU, PID, TID: decimal.
//	    Under BPF (Schema.Chunked) CPU may be "-", the CPU of the line's
//	    tags, and TID "=", with PID then PID<<32|TID in one number: a
//	    BPF hit costs the perf events of its print's arguments.
//	  - GOID: decimal goroutine id, or "-" when the probe has none (C, kernel).
//	  - FIELD: one token per Schema field, in order. Tokens never contain a
//	    space, so any byte sequence in a value cannot split or merge records.
//
// Field tokens by encoding (FieldSchema.Enc):
//
//	int    signed decimal             -5
//	uint   unsigned decimal           18446744073709551615
//	ptr    hex with 0x prefix         0xc000012345
//	bool   0 or 1
//	enum   signed decimal, named by FieldSchema.Enums    5
//	float  f and a double's bits in hex, or g and a float's  f3ff4000000000000 (1.25)
//	str    LEN:HEX                    5:68656c6c6f
//	       LEN is the real length when known (Go strings); LEN+ means "at
//	       least LEN" (C strings read up to a bound without finding the NUL).
//	       HEX is the bytes that were read; fewer than LEN bytes means the
//	       value was truncated by the bound. LEN may be "?" (unknown: the
//	       value ends at the first NUL among the bytes read; no NUL means
//	       truncated). HEX may start with "w": then it is little-endian
//	       64-bit words, 16 hex digits each (the BPF runtime reads strings
//	       a word at a time); bytes past LEN are dropped.
//	       A C string may come raw instead (Schema.RawStrings, and BPF):
//	       0x1d ":" BOUND ":" BYTES NUL, which the decoder reads as
//	       "?:HEX" before it splits lines (rawstr.go); "BOUND+" says the
//	       read took one byte more, so BOUND bytes are whole and more are
//	       cut to BOUND and truncated. A Go string may come raw too:
//	       0x1d "g:" BOUND ":" LEN ":" and exactly min(LEN, BOUND) bytes,
//	       read as "LEN:HEX" (rawgo.go).
//	slice  LEN/CAP:ELEM,ELEM,...      3/4:1,2,3   (elements in ElemEnc;
//	       fewer elements than LEN means truncated; "3/4:" with no elements
//	       when none were read)
//	stack  ADDR,ADDR,...              0xffffffff81234567,0x4a3b20 (a backtrace,
//	       innermost first; "-" when empty)
//	iface  TYPE/DATA                  0x4a3b20/0xc000010000 (eface _type or
//	       iface itab pointer, then the data word)
//	dynw   TYPE/DATA/WORD[/BIAS]      0x4d2c38/0x5a1b20/0x2 (the BPF runtime's
//	       interface: the dynamic type's descriptor, the data word, the word
//	       it points at, a PIE's load bias; dynwords.go)
//
// Any token may instead be "!" when the value could not be read (a fault,
// or a value the runtime cannot reach); the event then carries no value
// for that field and says why. A token starting with "!" means the same
// ("!0:": the BPF runtime prints a C string's fault text before the token
// of the empty string it would otherwise be).
//
// Lines that are not records (stap warnings on stdout, a target's own
// output) are delivered as Raw events, never dropped.
package event
