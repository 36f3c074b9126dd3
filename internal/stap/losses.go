package stap

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Losses are the records stap says it could not deliver. The module
// runtime reports them when it unloads, stapbpf as it reads its perf
// buffers; both on stderr.
type Losses struct {
	// Skipped is stap's "skipped probes" total: handlers that did not run
	// (reentrancy, lock timeouts, low stack, ...), so printed nothing.
	Skipped int64
	// Transport is the module runtime's "transport failures": writes the
	// full relay buffer refused. Each is at least part of one record.
	Transport int64
	// Perf is stapbpf's "lost N perf_events", summed over CPUs.
	Perf int64
	// Errors is the number of handlers that ended in a run-time error.
	Errors int64
	// Missing are the records a BPF script printed (its own count) that
	// never reached the decoder: those Perf counts in events, and those
	// stapbpf exited without reading (it does not wait for its perf
	// reader when the -c command ends), of which it says nothing.
	Missing int64
}

// Any reports whether stap lost anything.
func (l Losses) Any() bool { return l.Skipped+l.Transport+l.Perf+l.Errors+l.Missing > 0 }

func (l Losses) String() string {
	var parts []string
	add := func(n int64, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(l.Skipped, "skipped probes")
	add(l.Transport, "transport failures")
	add(l.Perf, "BPF perf events lost")
	add(l.Errors, "handler errors")
	add(l.Missing, "records the script printed never arrived")
	return strings.Join(parts, ", ")
}

var (
	skippedRE   = regexp.MustCompile(`Number of errors: (\d+), skipped probes: (\d+)`)
	transportRE = regexp.MustCompile(`There were (\d+) transport failures`)
	perfLostRE  = regexp.MustCompile(`lost (\d+) perf_events on cpu`)
)

// maxLine bounds the partial line kept between writes: loss reports are
// short, and a longer line is no loss report.
const maxLine = 4096

// lossScanner counts loss reports in a stderr stream line by line, so the
// counts stay exact when the kept stderr text is cut.
type lossScanner struct {
	partial []byte
	l       Losses
}

func (s *lossScanner) write(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(s.partial)+len(p) <= maxLine {
				s.partial = append(s.partial, p...)
			} else {
				s.partial = s.partial[:0]
			}
			return
		}
		if len(s.partial)+i <= maxLine {
			s.line(string(append(s.partial, p[:i]...)))
		}
		s.partial = s.partial[:0]
		p = p[i+1:]
	}
}

func (s *lossScanner) line(line string) {
	num := func(x string) int64 { n, _ := strconv.ParseInt(x, 10, 64); return n }
	if m := skippedRE.FindStringSubmatch(line); m != nil {
		s.l.Errors += num(m[1])
		s.l.Skipped += num(m[2])
	}
	if m := transportRE.FindStringSubmatch(line); m != nil {
		s.l.Transport += num(m[1])
	}
	if m := perfLostRE.FindStringSubmatch(line); m != nil {
		s.l.Perf += num(m[1])
	}
}

// ScanLosses reads loss reports from stap's stderr text.
func ScanLosses(stderr string) Losses {
	var s lossScanner
	s.write([]byte(stderr + "\n"))
	return s.l
}
