package plan

import (
	"fmt"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/spec"
)

// aggregates marks what each probe adds to the script's statistics. They
// are exact whatever the event rate: no record is needed to count a call,
// so none can be lost (stapbpf's perf buffer, the module's relay buffer).
func (p *Plan) aggregates(req *spec.Request) error {
	if req.Aggregate == spec.AggNone {
		return nil
	}
	p.IntervalMS = req.Interval.Milliseconds()
	if err := p.checkStats(req); err != nil {
		return err
	}
	if p.IntervalMS > 0 && p.Runtime == spec.RuntimeBPF {
		if err := p.runTotals(req); err != nil {
			return err
		}
	}
	entry := map[string]int{}
	for i := range p.Probes {
		pr := &p.Probes[i]
		pr.NoRecord = !req.Records()
		if pr.NoRecord {
			// Its statistics are the head handler's; no values to spread.
			pr.Split = nil
		}
		if pr.Site == event.SiteReturn || pr.Site == event.SiteRestart {
			// A restart record is no call of a probed function.
			continue
		}
		pr.Count = true
		if pr.Site == event.SiteEntry {
			entry[pr.Function] = pr.Index
		}
	}
	if req.Aggregate != spec.AggLatency {
		return nil
	}
	for i := range p.Probes {
		pr := &p.Probes[i]
		if pr.Site != event.SiteReturn {
			continue
		}
		e, ok := entry[pr.Function]
		if !ok {
			p.Notes = append(p.Notes, fmt.Sprintf("%s: no entry probe to time its returns from", pr.Function))
			pr.Stat = nil
			continue
		}
		pr.LatEnd, pr.LatPair = true, e
		p.Probes[e].LatStart = true
	}
	// Recursion: the inner call's entry replaces the outer one's time, so
	// an outer return finds none and is not timed.
	p.Notes = append(p.Notes, "latency pairs each return with the latest entry on its thread (goroutine for Go): recursive calls are timed innermost only")
	return nil
}
