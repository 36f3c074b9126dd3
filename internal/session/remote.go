package session

import (
	"context"
	"fmt"
	"sync"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/stap"
)

// HostResult is how the run on one host ended.
type HostResult struct {
	// Host is the label its events carry: the host as given, numbered
	// when it is given more than once.
	Host   string
	Events int
	Losses stap.Losses
	Stderr string
	// Err is why the host's run failed (stap, or decoding its output).
	Err error
}

// RunRemote runs the script on every host at once, one stap --remote
// each (stap's own multi-host mode writes all output to one stream with
// nothing to tell the hosts apart), and feeds their events, tagged with
// the host, to o.Sink from as many goroutines: the sink must be safe for
// that. o.Save and o.PID name one machine's file and process and are not
// used. interrupted is set when ctx ended the run.
func RunRemote(ctx context.Context, s *Script, hosts []string, o RunOptions) (results []HostResult, interrupted bool, err error) {
	w, err := newWorkdir(s, o.ScriptDir)
	if err != nil {
		return nil, false, err
	}
	defer w.remove()
	opts := stapOptions(s, o)
	runner := o.runner(s)
	labels := hostLabels(hosts)
	results = make([]HostResult, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		results[i].Host = labels[i]
		o1 := opts
		// -o would name a file on the remote host; records come back on
		// stap's stdout instead.
		o1.Remote = h
		o.logCommand(runner, o1.Args(w.script))
		proc, err := runner.Start(ctx, w.script, o1)
		if err != nil {
			results[i].Err = err
			continue
		}
		wg.Add(1)
		go func(r *HostResult, proc *stap.Process) {
			defer wg.Done()
			c, decErr := Decode(proc.Stdout(), s.Schema, hostSink{r.Host, o.Sink})
			waitErr := proc.Wait()
			r.Events, r.Losses, r.Stderr = c.Records, proc.Losses(), proc.Stderr()
			r.Losses.Missing = c.Missing
			switch {
			case waitErr != nil && ctx.Err() == nil:
				r.Err = waitErr
			case decErr != nil:
				r.Err = decErr
			}
		}(&results[i], proc)
	}
	wg.Wait()
	return results, ctx.Err() != nil, nil
}

// hostLabels names each host as given, numbering repeats so events from
// two runs on the same host stay apart.
func hostLabels(hosts []string) []string {
	seen := map[string]int{}
	labels := make([]string, len(hosts))
	for i, h := range hosts {
		seen[h]++
		labels[i] = h
		if seen[h] > 1 {
			labels[i] = fmt.Sprintf("%s#%d", h, seen[h])
		}
	}
	return labels
}

// hostSink tags every event with its host.
type hostSink struct {
	host string
	s    Sink
}

func (h hostSink) Event(e event.Event) error { e.Host = h.host; return h.s.Event(e) }

// Streams as the sink it tags for does (event.Streamer): each host's
// decoder may then write each record over the last, as a run on one
// machine does.
func (h hostSink) Streams() bool {
	st, ok := h.s.(event.Streamer)
	return ok && st.Streams()
}
