package spec

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Runtime is the SystemTap runtime a script is generated for.
type Runtime string

const (
	// RuntimeKernel is stap's default kernel-module runtime: full features.
	RuntimeKernel Runtime = "kernel"
	// RuntimeBPF is --runtime=bpf: no loops, registers only as @uregister, small stack.
	RuntimeBPF Runtime = "bpf"
)

// Aggregate selects an in-run summary in addition to (or instead of) events.
type Aggregate string

const (
	AggNone    Aggregate = ""
	AggCount   Aggregate = "count"   // calls per function
	AggLatency Aggregate = "latency" // entry→return histogram per function
)

// Probe is one function (or glob of functions) to trace, or a source line.
type Probe struct {
	// Function is an exact name or a glob ("lookup_*", "main.(*Server).*").
	// For a line probe it is "FILE:LINE" ("fs/namei.c:1600"); see IsLine.
	Function string
	// Entry and Return select the sites; Entry alone is the default.
	Entry, Return bool
	// Fields are value paths to print; empty means every parameter (and
	// every result at a return).
	Fields []Path
}

// Limits bound every value a script reads; truncation is always marked.
type Limits struct {
	StringLen int // bytes of a string read
	Elems     int // elements of a slice or array read
	Depth     int // struct levels expanded when printing a whole struct
}

// DefaultLimits are used for zero fields of Limits.
var DefaultLimits = Limits{StringLen: 128, Elems: 8, Depth: 1}

// Request is a whole probe request: what `stapgen gen` was asked.
type Request struct {
	Probes  []Probe
	Runtime Runtime
	Limits  Limits
	// PID restricts records to one process (stap's target() with -x/-c
	// is the usual way; this is an explicit filter).
	PID int
	// Process restricts records to processes with this execname.
	Process string
	// InTarget restricts records to stap's target() process (-c, -x) and,
	// on the kernel runtime, its descendants: run sets it unless
	// --all-processes.
	InTarget bool
	// StartsTarget says the run starts the target (-c): every descendant
	// starts after the script does, so the kernel runtime follows them as
	// they start (process.begin) instead of walking up their parents.
	StartsTarget bool
	// Where are the filters, all of which must hold where they apply.
	Where []Filter
	// Backtrace adds a kernel and/or user backtrace to each entry record.
	KernelStack, UserStack bool
	Aggregate              Aggregate
	// AggOf is the value of a sum (or, before Normalize, of a top).
	AggOf *Path
	// By keys the aggregate per value of this path (Normalize makes
	// top:PATH a count by PATH); Top is how many keys print, those with
	// the most calls first.
	By  *Path
	Top int
	// Events keeps the per-event records beside the aggregates (which
	// otherwise replace them).
	Events bool
	// Interval prints the aggregates so far this often, 0 for at the end
	// only.
	Interval time.Duration
	// Duration ends the script after this time (timer probe), 0 for never.
	Duration time.Duration
	// MaxEvents ends the script after this many records, 0 for no limit.
	MaxEvents int
}

// ErrInvalid is wrapped by every validation error of a Request.
var ErrInvalid = errors.New("invalid request")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Records tells whether the script prints per-event records: without
// aggregates, or with them and Events.
func (r *Request) Records() bool { return r.Aggregate == AggNone || r.Events }

// Normalize fills defaults and validates the request.
func (r *Request) Normalize() error {
	if len(r.Probes) == 0 {
		return invalid("no function to probe")
	}
	if r.Runtime == "" {
		r.Runtime = RuntimeKernel
	}
	if r.Runtime != RuntimeKernel && r.Runtime != RuntimeBPF {
		return invalid("runtime %q: want kernel or bpf", r.Runtime)
	}
	d := DefaultLimits
	if r.Limits.StringLen == 0 {
		r.Limits.StringLen = d.StringLen
	}
	if r.Limits.Elems == 0 {
		r.Limits.Elems = d.Elems
	}
	if r.Limits.Depth == 0 {
		r.Limits.Depth = d.Depth
	}
	switch {
	case r.Limits.StringLen < 0 || r.Limits.StringLen > 4096:
		return invalid("string length %d: want 1..4096", r.Limits.StringLen)
	case r.Limits.Elems < 0 || r.Limits.Elems > 256:
		return invalid("elements %d: want 1..256", r.Limits.Elems)
	case r.Limits.Depth < 0 || r.Limits.Depth > 4:
		return invalid("depth %d: want 1..4", r.Limits.Depth)
	case r.PID < 0:
		return invalid("pid %d", r.PID)
	case r.MaxEvents < 0:
		return invalid("max events %d", r.MaxEvents)
	case r.Duration < 0:
		return invalid("duration %v", r.Duration)
	case r.Interval < 0 || r.Interval > 0 && r.Interval < time.Millisecond:
		return invalid("interval %v", r.Interval)
	case r.Interval > 0 && r.Aggregate == AggNone:
		return invalid("--interval prints aggregates: add --aggregate count, latency, sum:PATH or top:PATH")
	}
	if r.Process != "" && !isExecname(r.Process) {
		return invalid("process name %q: want up to 15 printable characters without quotes or backslashes", r.Process)
	}
	if err := r.normalizeAggregate(); err != nil {
		return err
	}
	for i := range r.Probes {
		p := &r.Probes[i]
		if err := ValidateFunctionPattern(p.Function); err != nil {
			return err
		}
		if !p.Entry && !p.Return {
			p.Entry = true
		}
	}
	if r.Aggregate == AggLatency {
		for i := range r.Probes {
			r.Probes[i].Entry, r.Probes[i].Return = true, true
		}
	}
	return nil
}

func isExecname(s string) bool {
	if len(s) > 15 {
		return false
	}
	for _, c := range []byte(s) {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// ValidateFunctionPattern accepts the characters that real C, C++ and Go
// symbol names use (Go: "pkg/path.(*T[go.shape.int]).M-fm"), and glob
// metacharacters, and the spaces of C++ names ("shop::biggest<long int>",
// "operator new"). It rejects quotes, backslashes, tabs, newlines and other
// control bytes: those are the characters that could escape a stap string
// literal or a line of the script.
func ValidateFunctionPattern(s string) error {
	if s == "" {
		return invalid("empty function name")
	}
	if len(s) > 1024 {
		return invalid("function name longer than 1024 bytes")
	}
	for _, c := range []byte(s) {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '\'' || c == '`' {
			return invalid("function name %q: character %q cannot appear in a probe point", s, c)
		}
	}
	if strings.Contains(s, "%{") || strings.Contains(s, "%}") {
		return invalid("function name %q: %%{ and %%} are not allowed", s)
	}
	return nil
}

// IsGlob reports whether a function pattern has glob metacharacters.
// Go names contain "(*T)", so "*" only counts outside "(*".
func IsGlob(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '?':
			return true
		case '*':
			if i > 0 && s[i-1] == '(' {
				continue
			}
			return true
		}
	}
	return false
}

// FuncLine reports whether a probe target names a line of a function,
// FUNCTION@FILE:LINE, as stap spells a statement probe and `stapgen lines`
// lists them ("lookup_one_qstr_excl@fs/namei.c:1599").
func FuncLine(s string) (function, file string, line int, ok bool) {
	at := strings.IndexByte(s, '@')
	if at <= 0 {
		return "", "", 0, false
	}
	file, line, ok = IsLine(s[at+1:])
	if !ok || IsGlob(s[:at]) || strings.Contains(file, "@") {
		return "", "", 0, false
	}
	return s[:at], file, line, true
}

// IsLine reports whether a probe target names a source line, FILE:LINE,
// where FILE has a directory or an extension ("namei.c:1600",
// "fs/namei.c:1600"); Go's "type:.eq.T" and "go:buildid" are names.
func IsLine(s string) (file string, line int, ok bool) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return "", 0, false
	}
	n := 0
	for _, c := range s[i+1:] {
		if c < '0' || c > '9' || n > 1e7 {
			return "", 0, false
		}
		n = n*10 + int(c-'0')
	}
	file = s[:i]
	if n == 0 || strings.ContainsAny(file, "*?:()[]") || !(strings.Contains(file, "/") || strings.Contains(file, ".")) {
		return "", 0, false
	}
	return file, n, true
}
