package plan

import (
	"fmt"

	"github.com/stapgen/stapgen/internal/debuginfo"
)

// Go returns on the BPF runtime. As on the kernel runtime they are probed
// at each RET instruction (a uretprobe crashes Go programs whose stacks
// move), where the results sit in the ABI's result registers. stapbpf has
// no u_register(), so a result's registers are read with @uregister(N),
// as stap reads its own register $vars there. The memory behind them is
// read as the stack parameters' is, through @cast words (castWords),
// which read 0 on a fault where user_int64's ends the whole stapbpf run;
// without the word type, not at all.

const (
	errBPFStackResult  = "a result passed on the stack, which the BPF runtime reads at a RET through an 8-byte integer type of the binary's DWARF, and it has none; use --runtime kernel"
	errBPFResultMemory = "the BPF runtime reads the memory a Go result points to through an 8-byte integer type of the binary's DWARF, and it has none; print the pointer itself, or use --runtime kernel"
)

// uregWord is size bytes of register reg, read through @uregister.
func uregWord(reg string, size int64, signed bool) (Expr, error) {
	n, ok := debuginfo.RegNum(reg)
	if !ok {
		return nil, unreadable("register %s has no DWARF number for @uregister", reg)
	}
	if size >= 8 {
		return UReg{Num: n}, nil
	}
	return Narrow{X: UReg{Num: n}, Size: size, Signed: signed}, nil
}

// bpfResults are f's results at a RET as the BPF runtime reads them, and
// their names in order. Without an ABI assignment each prints "!" with
// the reason, and the probe still runs.
func (b *builder) bpfResults(f *debuginfo.Function) (map[string]ref, []string) {
	results := map[string]ref{}
	if b.in.Go == nil || f.NoTypes || len(f.Results) == 0 {
		return results, nil
	}
	var why string
	_, rh, err := b.in.Go.Homes(f)
	if err != nil {
		why = fmt.Sprintf("register assignment: %v", err)
	}
	var order []string
	for i, v := range f.Results {
		if !isIdent(v.Name) {
			continue
		}
		switch {
		case why != "":
			results[v.Name] = ref{typ: v.Type, why: why}
		case i < len(rh):
			results[v.Name] = ref{typ: v.Type, home: &rh[i], ureg: true, words: b.em.bpfWords()}
		default:
			results[v.Name] = ref{typ: v.Type, why: "no register assignment for this result"}
		}
		order = append(order, v.Name)
	}
	return results, order
}

// bpfReturnRefusal says why f's RETs cannot be probed on the BPF runtime
// here (nil: they can). paired is an entry filter's mark that the RET
// checks, which is kept per goroutine, so it needs goid.
func (b *builder) bpfReturnRefusal(f *debuginfo.Function, paired bool, goid Expr) error {
	switch {
	case b.in.Target.Kernel:
		return refuse("Go function in a kernel target")
	case b.in.Go == nil:
		return refuse("Go returns are probed at the function's RET instructions, which need the binary's Go facts (none here); drop --return")
	case !b.addressProbes():
		// A binary without DWARF gets a debug file whose symbols name
		// each RET (symfile), which every stap places.
		return b.noRetProbes()
	case paired && goid == nil:
		return refuse("a filter on %s's parameters decides its return record by a mark kept per goroutine, and this binary's goroutine id cannot be read on the BPF runtime (see the notes); drop --return, put the filter in a --where on a result, or use --runtime kernel", f.Name)
	}
	return nil
}
