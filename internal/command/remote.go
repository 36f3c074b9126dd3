package command

import (
	"context"
	"fmt"

	"github.com/stapgen/stapgen/internal/report"
	"github.com/stapgen/stapgen/internal/session"
)

// runRemote runs the script on every --remote host and reports each
// host's losses and failure; one host failing fails the run, the others'
// events are still shown.
func runRemote(ctx context.Context, env *Env, s *session.Script, f runFlags, sink report.Sink) error {
	// sink is report.Live: safe for the hosts' goroutines.
	results, interrupted, err := session.RunRemote(ctx, s, f.remote, f.run)
	if err != nil {
		return err
	}
	sink.Close()
	var failed []error
	total := 0
	for _, r := range results {
		total += r.Events
		if r.Losses.Any() {
			fmt.Fprintf(env.Stderr, "stapgen: warning: %s: stap lost records (%s)\n", r.Host, r.Losses)
		}
		if f.verbose {
			fmt.Fprint(env.Stderr, r.Stderr)
		}
	}
	for _, r := range results {
		if r.Err != nil {
			fmt.Fprintf(env.Stderr, "stapgen: %s: %v\n", r.Host, r.Err)
			failed = append(failed, fmt.Errorf("%s: %w", r.Host, r.Err))
		}
	}
	if len(failed) > 0 {
		// One line for the whole run; each host's reason is above.
		return fmt.Errorf("%d of %d hosts failed: %w", len(failed), len(results), failed[0])
	}
	if interrupted {
		fmt.Fprintf(env.Stderr, "stapgen: interrupted after %d events\n", total)
		return context.Canceled
	}
	return nil
}
