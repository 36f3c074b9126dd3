package command

import (
	"context"
	"fmt"
	"sync"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/report"
	"github.com/stapgen/stapgen/internal/stap"
	"github.com/urfave/cli/v2"
)

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
	s    report.Sink
}

func (h hostSink) Event(e event.Event) error { e.Host = h.host; return h.s.Event(e) }
func (h hostSink) Close() error              { return nil }

// runRemote runs the script on every host at once (one stap --remote each:
// stap's own multi-host mode writes all output to one stream with nothing
// to tell the hosts apart) and merges their events.
func runRemote(c *cli.Context, env *Env, runner *stap.Runner, scriptPath string, opts stap.Options, schema *event.Schema, sink report.Sink, hosts []string) error {
	labels := hostLabels(hosts)
	errs := make([]error, len(hosts))
	counts := make([]int, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		o := opts
		// -o would name a file on the remote host; records come back on
		// stap's stdout instead.
		o.Remote, o.Output, o.Stdout = h, "", nil
		if c.Bool("verbose") {
			fmt.Fprintf(env.Stderr, "stapgen: %s %v\n", runner.Path, o.Args(scriptPath))
		}
		proc, err := runner.Start(c.Context, scriptPath, o)
		if err != nil {
			errs[i] = err
			continue
		}
		wg.Add(1)
		go func(i int, proc *stap.Process) {
			defer wg.Done()
			n, decErr := decodeAll(proc.Stdout(), schema, hostSink{labels[i], sink}) // sink is report.Live: safe for the hosts' goroutines
			waitErr := proc.Wait()
			counts[i] = n
			if l := proc.Losses(); l.Any() {
				fmt.Fprintf(env.Stderr, "stapgen: warning: %s: stap lost records (%s)\n", labels[i], l)
			}
			if c.Bool("verbose") {
				fmt.Fprint(env.Stderr, proc.Stderr())
			}
			switch {
			case waitErr != nil && c.Context.Err() == nil:
				errs[i] = waitErr
			case decErr != nil:
				errs[i] = decErr
			}
		}(i, proc)
	}
	wg.Wait()
	sink.Close()
	var failed []error
	for i, err := range errs {
		if err != nil {
			fmt.Fprintf(env.Stderr, "stapgen: %s: %v\n", labels[i], err)
			failed = append(failed, fmt.Errorf("%s: %w", labels[i], err))
		}
	}
	if len(failed) > 0 {
		// One line for the whole run; each host's reason is above.
		return withHint(fmt.Errorf("%d of %d hosts failed: %w", len(failed), len(hosts), failed[0]), 0, "")
	}
	if c.Context.Err() != nil {
		total := 0
		for _, n := range counts {
			total += n
		}
		fmt.Fprintf(env.Stderr, "stapgen: interrupted after %d events\n", total)
		return context.Canceled
	}
	return nil
}
