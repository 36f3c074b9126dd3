package script

import (
	"github.com/stapgen/stapgen/internal/plan"
)

// key is how a statistic's key is read: template "stat.key.KIND".
func (g *generator) key(k plan.Key) (string, error) { return g.exec("stat.key."+kind(k), k) }

// keyVar is what a key's print receives: the key, and the stap variable
// that holds it.
type keyVar struct {
	K plan.Key
	V string
}

// keyOut is how a key held in the stap variable v prints: template
// "stat.print.KIND", or "stat.print.none" for a statistic without a key.
func (g *generator) keyOut(k plan.Key, v string) (string, error) {
	if k == nil {
		return g.exec("stat.print.none", keyVar{V: v})
	}
	return g.exec("stat.print."+kind(k), keyVar{K: k, V: v})
}

// StatProbes are the probes with a keyed or summed statistic.
func (v *View) StatProbes() []plan.Probe {
	var out []plan.Probe
	for _, p := range v.Plan.Probes {
		if p.Stat != nil && !p.Stat.Stash {
			out = append(out, p)
		}
	}
	return out
}

// StashProbes are the Go entries that keep a keyed latency's key for
// their return (plan.Stat.Stash).
func (v *View) StashProbes() []plan.Probe {
	var out []plan.Probe
	for _, p := range v.Plan.Probes {
		if p.Stat != nil && p.Stat.Stash {
			out = append(out, p)
		}
	}
	return out
}

// RunKeys are the aggregate keys the BPF runtime's interval snapshots
// print (plan.RunTotals): all of them (AggKeys), read from the running
// totals by name.
func (v *View) RunKeys() []int { return v.AggKeys() }
