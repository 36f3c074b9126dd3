package plan

import (
	"github.com/stapgen/stapgen/internal/stap"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/goabi"
	"github.com/stapgen/stapgen/internal/spec"
)

// Target says what the script probes.
type Target struct {
	// Path is the absolute path of a user-space binary, "" for the kernel.
	Path string
	// Kernel is true for vmlinux targets and kernel modules.
	Kernel bool
	// Module is a kernel module target as stap names it: module("Module")
	// takes a name stap finds under /lib/modules/R, or a .ko path.
	Module string
	// Release is the kernel release the vmlinux belongs to, if known.
	Release string
	BuildID string
	// GoVersion is set for Go binaries ("go1.26.8").
	GoVersion string
	// Library is set for a shared library: its probes fire in every
	// process that maps it.
	Library bool
	// Symbols says the binary has neither DWARF nor a symbol table, so stap
	// finds no function in it by itself: every point is named after
	// planning through a generated debug file's symbols (Plan.UseSymbols),
	// which also reach any address, stap 4.8 included.
	Symbols bool
}

// GoFacts is what the plan needs to know about a Go binary beyond DWARF:
// the register ABI, the RET sites, and the runtime.g layout.
type GoFacts interface {
	// Homes returns where each param (receiver first) is at entry and where
	// each result is at a RET.
	Homes(f *debuginfo.Function) (params, results []goabi.Loc, err error)
	// Rets returns the address of every RET instruction of f.
	Rets(f *debuginfo.Function) ([]uint64, error)
	// GoidOffset is the offset of runtime.g.goid.
	GoidOffset() (int64, error)
	// StackCheck describes f's stack-check prologue, ok false when f has
	// none the plan recognises.
	StackCheck(f *debuginfo.Function) (sc StackCheck, ok bool)
}

// StackCheck is Go's prologue "cmp rsp-Frame, g.stackguard0; jbe morestack".
// morestack (stack growth, and the preemption requests that reuse the
// guard) runs the function again from its entry, so an entry probe fires
// twice for one call; a probe at Body, past the branch, fires once.
type StackCheck struct {
	Frame int64 // bytes below RSP compared with the guard
	Guard int64 // offset of stackguard0 in runtime.g
	// Body is the compiler's prologue end, a line-table row (stap places
	// address probes only there), past the check and the frame set-up;
	// 0 when the binary marks none or the code in between is not a plain
	// frame set-up. Argument registers still hold the arguments there, and
	// RSP is BodySP bytes below its value at the entry.
	Body   uint64
	BodySP int64
	// Stub is the code the check branches to (it calls morestack), 0
	// when unknown; End is the function's end.
	Stub, End uint64
}

// Resolver finds functions by exact name or glob.
type Resolver interface {
	Match(patterns ...string) ([]*debuginfo.Function, error)
}

// Plan is the resolved, deterministic description of one script.
type Plan struct {
	Target  Target
	Runtime spec.Runtime
	Stap    stap.Version
	Limits  spec.Limits
	// Guru is true only when a probe needs it (Go RET sites); never because
	// of user input.
	Guru bool
	// UserStack is set when entries print user backtraces, KernelStack
	// kernel ones.
	UserStack, KernelStack bool
	// StapArgs are the extra stap options the run needs (-g, -d BIN, --ldd),
	// recorded in the script header; StapEnv the environment it needs
	// (where a generated debug file is).
	StapArgs []string
	StapEnv  []string
	Probes   []Probe
	Schema   event.Schema
	// Process and PID filters apply to every probe.
	Process string
	PID     int
	// InTarget keeps records of stap's target() process (and, on the
	// kernel runtime, its descendants) only. AllProcesses says a shared
	// library is traced in every process mapping it, for want of -c or -x.
	InTarget, AllProcesses bool
	// StartsTarget: the run starts the target (-c); see spec.Request.
	StartsTarget bool
	MaxEvents    int
	// DurationMS ends the script after this many milliseconds, 0 for never.
	DurationMS int64
	// Aggregate is computed in the script (stap statistics per probe),
	// printed at the end and every IntervalMS.
	Aggregate  spec.Aggregate
	IntervalMS int64
	// RunTotals (BPF with an interval) keeps running totals in plain
	// arrays beside the statistics, for the timer probe to print.
	RunTotals bool
	// GoTypes are the runtime type facts Dyn values use, nil when none do.
	GoTypes *GoTypes
	// RegFuncs (BPF, Symbols target) are the functions whose parameters
	// the generated debug file must describe (RegFunc).
	RegFuncs []RegFunc
	// Notes are facts the user should know (skipped inline copies, …),
	// printed in the script header.
	Notes []string
}

// Probe is one handler: one function at one site.
type Probe struct {
	// Index is the PROBE column of its records.
	Index    int
	Function string
	Lang     debuginfo.Lang
	Site     event.Site
	// Points are the probe points sharing this handler.
	Points []Point
	// Goid reads the goroutine id, nil for none.
	Goid Expr
	// Guard, when set, tells a firing that is not a call: the Go prologue
	// is about to call morestack, which runs the function again from its
	// entry.
	Guard *StackGuard
	// StatGuard (BPF Go entries) keeps such a firing out of the statistics
	// (Count, Stat, LatStart) alone: its record still prints, for the
	// decoder's restart check (Restart), which needs every entry. Nil
	// where the probe adds to none.
	StatGuard *StackGuard
	// Cond must hold for a record, nil for always.
	Cond Cond
	// From is the request text that named this function; CondFrom that of
	// its filter. With Field.From they let a stap error name what the user
	// wrote.
	From, CondFrom string
	// Mark and Check implement Go entry→return filter pairing: the entry
	// marks the goroutine when Cond held, the return checks the mark.
	Mark, Check bool
	// Dedup (Go entries with RET probes) drops a second firing at the same
	// stack pointer before a return: the kernel re-runs a uprobe handler
	// when a signal interrupts the single-step of the probed instruction.
	// ClearDedup marks the RET side. The mark is the goroutine's, not the
	// thread's: a call can return on another thread, and a thread's stale
	// mark dropped the next call entering there at that stack pointer.
	Dedup, ClearDedup bool
	Fields            []Field
	// Restart (BPF Go entries) is the [start, end) of the function's
	// morestack stub, which the decoder's restart records are matched
	// against (event/restart.go).
	Restart []uint64
	// Split (BPF) lists the field indices that start another handler on
	// the same points; the handlers print one record between them
	// (bpf.go). A leading 0 gives the record's head a handler of its own.
	Split []int
	// Count adds the call to the script's count for this probe; LatStart
	// (an entry) keeps its time per thread, or per goroutine when Goid is
	// set, for the return probe whose LatEnd adds the time since then to
	// its latency statistics and histogram. LatPair is the entry's Index.
	Count, LatStart, LatEnd bool
	LatPair                 int
	// NoRecord prints no record: the aggregates replace them.
	NoRecord bool
	// Stat is the probe's keyed or summed statistic, nil for none.
	Stat *Stat
}

// Field is one value printed by a probe.
type Field struct {
	Name string
	Type string
	Enc  event.Enc
	// ElemEnc is the element encoding of a slice token.
	ElemEnc event.Enc
	// Enums name the values of an enum token.
	Enums []event.Enumerator
	// Value says how the token is read and printed.
	Value Value
	// From is the request text that asked for this field (a --fields path,
	// or the parameter printed by default), so a stap error about it can
	// name what the user wrote.
	From string
	// Part places the field in a whole value (a path with $ or $$).
	Part *event.Part
}
