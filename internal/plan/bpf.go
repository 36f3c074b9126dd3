package plan

import (
	"fmt"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/goruntime"
)

// BPF handler limits. stapbpf gives each handler a 512-byte stack, and a
// string read with its unrolled word prints takes most of it: two strings
// in one handler fail ("insufficient BPF stack size", or stap 4.8's
// assertion max_tmp_space <= MAX_BPF_STACK). Handlers on the same probe
// point run one after the other for each hit, in reverse order of
// declaration, so a record's values are spread over several handlers,
// one string (or slice) each, which print one record between them.

// heavy tells a value that needs a handler of its own under BPF.
func heavy(v Value) bool {
	switch Bare(v).(type) {
	case Bytes, CString, Slice:
		return true
	}
	return false
}

// bpfSplit is where a BPF probe's fields start new handlers: before every
// heavy value but the first, and between a heavy value and a value
// behind a pointer next to it: the pointer's test and its fallback
// beside a string's copy do not fit (stap 4.8: "register allocation
// failed" for ls's f->name, f->stat.st_size and f->stat.st_ino).
func bpfSplit(fields []Field) []int {
	var out []int
	seen := false
	for i, f := range fields {
		h := heavy(f.Value)
		switch {
		case h && seen:
			out = append(out, i)
		case i > 0 && (h && guarded(fields[i-1].Value) || guarded(f.Value) && heavy(fields[i-1].Value)):
			out = append(out, i)
			seen = false
		}
		seen = seen || h
	}
	return out
}

// guarded tells a value printed only when its pointers are not NULL.
func guarded(v Value) bool {
	_, ok := v.(NonNil)
	return ok
}

// bpfGoid reads the goroutine id where the kernel runtime does, at the
// goid offset in the g that R14 holds at a Go function's entry: the
// register through @uregister (stapbpf has no u_register()), the word
// through a @cast of the binary's 8-byte word type indexed by the
// offset's words (@cast reads 0 on a fault, where user_int64's fault
// ends the whole run). Without it, why not.
func (b *builder) bpfGoid() (Expr, string) {
	off, err := b.in.Go.GoidOffset()
	if err != nil {
		return nil, err.Error()
	}
	return b.bpfGWord(off, "goid")
}

// bpfGWord reads the word at offset off of the runtime.g that R14 holds
// at a Go function's entry (what names the field, for the reason none
// can be read).
func (b *builder) bpfGWord(off int64, what string) (Expr, string) {
	var word, module string
	if b.em.word != nil {
		word, module = b.em.word()
	}
	n, ok := debuginfo.RegNum(goruntime.GRegister)
	switch {
	case word == "":
		return nil, "no 8-byte integer type in the binary's DWARF to read it through"
	case !ok || off < 0 || off%8 != 0:
		return nil, fmt.Sprintf("%s at offset %d of %s, not a whole number of words", what, off, goruntime.GType)
	}
	x, err := castWords{Type: word, Module: module}.read(UReg{Num: n}, off, 8, true)
	if err != nil {
		return nil, err.Error()
	}
	return x, ""
}

// strMax is the --strlen bound of a string value, for the decoder: the
// BPF runtime's word reads may print more.
func strMax(v Value) int {
	switch v := Bare(v).(type) {
	case Bytes:
		return v.Max
	case CString:
		return v.Max
	}
	return 0
}

// restartProbes adds the probes whose records tell the decoder which BPF
// Go entries the runtime restarted (event/restart.go): each prints the
// goroutine's saved PC, a $var stap reads through DWARF, as a link-time
// address (Linked: the stub ranges the decoder compares it with are, and
// in a PIE the saved PC is not).
func (b *builder) restartProbes() {
	b.from = "the BPF runtime's Go restart check"
	found := 0
	for _, name := range goruntime.RestartFuncs {
		fns, err := b.in.Funcs.Match(name)
		if err != nil || len(fns) != 1 {
			continue
		}
		f := fns[0]
		readable := false
		for _, v := range f.Params {
			readable = readable || v.Name == goruntime.RestartParam && v.LocList && len(v.Location) >= 3 && v.Location[:3] == "reg"
		}
		// A stripped binary's: through the DWARF its debug file gets.
		rp, described := RegParam{}, false
		if !readable {
			rp, described = b.restartParam(f)
			readable = described
		}
		if !readable {
			continue
		}
		pt, err := b.point(f, false)
		if err != nil {
			continue
		}
		if described {
			b.regFunc(f, []RegParam{rp})
		}
		pc := Var{Name: goruntime.RestartParam, Steps: []VarStep{{Member: "sched"}, {Member: "pc"}}}
		b.add(Probe{Function: f.Name, Lang: f.Lang, Site: event.SiteRestart, Points: []Point{pt},
			Fields: []Field{{Name: "pc", Type: "uintptr", Enc: event.EncPtr, Value: Ptr{X: Linked{X: pc, At: f.Entry}}, From: b.from}}})
		found++
	}
	if found < len(goruntime.RestartFuncs) {
		b.plan.Notes = append(b.plan.Notes, fmt.Sprintf("BPF runtime: %d of the runtime's %d restart points are readable here, so an entry the runtime restarts may show twice", found, len(goruntime.RestartFuncs)))
	}
}

// bpfReturnSplit is bpfSplit for a C .return handler, where each @entry
// value is one more map read: a string there leaves room for nothing else
// (stap 4.8: a returned string and one entry value fit, a third print did
// not), so the values after a heavy one start a handler of their own. A Go
// RET's too: an error before or after a returned string in one handler
// did not compile (stap 4.8, --fields err,s and s,err).
func bpfReturnSplit(fields []Field) []int {
	var out []int
	for i, f := range fields {
		if i > 0 && (heavy(f.Value) || heavy(fields[i-1].Value)) {
			out = append(out, i)
		}
	}
	return out
}

// bpfFilteredSplit is bpfSplit for a filtered C probe: its condition,
// tested again by each handler, beside the record's head and a string's
// word reads does not fit (stap 4.8: "register allocation failed", even
// for "if (pid() == 1) next"), where a string alone with the condition
// does. So each heavy value has a handler to itself, and the head one
// of its own when the record starts with a heavy value (0 in the list).
func bpfFilteredSplit(fields []Field) []int {
	var out []int
	for i, f := range fields {
		if heavy(f.Value) || i > 0 && heavy(fields[i-1].Value) {
			out = append(out, i)
		}
	}
	return out
}

// bpfWordTypes are the names C compilers give 8-byte integers, one of
// which nearly every binary's DWARF has, and Go's (every Go binary's
// DWARF has uint64: the runtime uses it).
var bpfWordTypes = []string{"long unsigned int", "long int", "long long unsigned int", "long long int", "uint64"}

// WordFinder is a TypeFinder that answers the word type question itself:
// a cache that keeps the answer, not the types.
type WordFinder interface {
	// WordType is FindWordType's answer; ok is false when it is unknown.
	WordType() (name, module string, ok bool)
}

// FindWordType finds an 8-byte integer type of the target to read strings'
// words through (CString.Word, Bytes.Word): none gives "", "".
func FindWordType(types TypeFinder) (name, module string) {
	for _, n := range bpfWordTypes {
		if t, m, err := types.CastType(n, ""); err == nil && t.Size == 8 {
			return n, m
		}
	}
	return "", ""
}

// bpfWord finds the word type on first use.
func bpfWord(types TypeFinder) func() (string, string) {
	var name, module string
	looked := false
	return func() (string, string) {
		if looked {
			return name, module
		}
		looked = true
		if w, ok := types.(WordFinder); ok {
			if n, m, ok := w.WordType(); ok {
				name, module = n, m
				return name, module
			}
		}
		name, module = FindWordType(types)
		return name, module
	}
}
