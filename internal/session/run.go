package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stapgen/stapgen/internal/atomicfile"
	"github.com/stapgen/stapgen/internal/cachebound"
	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/script"
	"github.com/stapgen/stapgen/internal/stap"
)

// Sink receives the decoded events of a run.
type Sink interface {
	Event(event.Event) error
}

// RunOptions say how to run a script.
type RunOptions struct {
	// Stap is the stap binary ("stap" from PATH when empty).
	Stap string
	// Cmd is run and traced (stap -c); PID is traced (stap -x).
	Cmd string
	PID int
	// Release is a kernel release or build tree for stap (-r), for any
	// target: a user-space probe is a kernel module too.
	Release string
	// Extra are stap options added after those the script asks for.
	Extra []string
	// Save is a file that also gets stap's raw output, headed by the
	// schema so it decodes without the script.
	Save string
	// CmdOutput receives the traced command's stdout; nil discards it.
	CmdOutput io.Writer
	// CmdStderr receives the traced command's stderr apart from stap's
	// messages; nil leaves it among them (Result.Stderr).
	CmdStderr io.Writer
	// Log receives each stap command line before it starts; nil for none.
	Log io.Writer
	// Sink gets every event; the caller closes it after the run.
	Sink Sink
	// GracePeriod is how long a stopped stap gets to unload before it is
	// killed; 0 means stap's default.
	GracePeriod time.Duration
	// ScriptDir keeps the script as ScriptDir/HASH.stp, named for its
	// text; "" puts it in the run's temporary directory. stap's compile
	// cache hashes the script's path with its text, so a script written
	// to a fresh directory each run never hits it, and every warm run
	// paid passes 3 and 4 again.
	ScriptDir string
}

// Result is what a run delivered and how it ended.
type Result struct {
	// Events is the number of records decoded.
	Events int
	// Restarted is the number of entry records dropped as repeats of a
	// Go call the runtime restarted (BPF).
	Restarted int
	// LateRestarts are entry records kept although they repeat a call the
	// runtime restarted: its restart record came too late (BPF, a busy
	// machine).
	LateRestarts int
	Losses       stap.Losses
	// Stderr is stap's own stderr.
	Stderr string
	// StapErr is stap's failure; nil when it ended normally or on request.
	StapErr error
	// DecodeErr is the first error of the decoder or the sink.
	DecodeErr error
	// Interrupted is set when ctx ended the run.
	Interrupted bool
	// LeftGroup is the process group of what stap left running (the -c
	// command, when the script ended first), 0 for nothing.
	LeftGroup int
}

// workdir holds a run's script and record file; remove it when done.
type workdir struct{ dir, script, records string }

func newWorkdir(s *Script, scriptDir string) (*workdir, error) {
	dir, err := os.MkdirTemp("", "stapgen-run-")
	if err != nil {
		return nil, err
	}
	w := &workdir{dir: dir, script: filepath.Join(dir, "stapgen.stp"), records: filepath.Join(dir, "records")}
	kept := false
	if scriptDir != "" {
		p := filepath.Join(scriptDir, ScriptName(s.Source))
		// Replaced whole: a concurrent run of the same script reads the
		// old file or the new one, which hold the same text.
		if atomicfile.Write(p, 0o644, func(f *os.File) error { _, err := f.Write(s.Source); return err }) == nil {
			w.script, kept = p, true
			scriptBound.Prune(scriptDir)
		}
	}
	if !kept {
		// A cache that cannot be written (a read-only or unusable
		// $XDG_CACHE_HOME) costs stap's compile cache its hit, not the run.
		err = os.WriteFile(w.script, s.Source, 0o644)
	}
	if err != nil {
		w.remove()
		return nil, err
	}
	if err := os.WriteFile(w.records, nil, 0o644); err != nil {
		w.remove()
		return nil, err
	}
	return w, nil
}

func (w *workdir) remove() { os.RemoveAll(w.dir) }

// scriptBound is what a ScriptDir keeps: the scripts of the 256 runs
// most recently started (a script is rewritten, so its mtime renewed, by
// each run of it, and stap's read sets its atime), and any used in the
// last day, whatever their number: a run in progress reads its own. A
// temporary file a crashed write left counts and goes too.
var scriptBound = cachebound.Bound{Keep: 256, Fresh: 24 * time.Hour, Match: func(n string) bool {
	return strings.HasSuffix(n, ".stp") || strings.HasPrefix(n, ".tmp-")
}}

// ScriptName is the file name a script is kept under in a ScriptDir: the
// same text always gets the same name.
func ScriptName(src []byte) string {
	h := sha256.Sum256(src)
	return hex.EncodeToString(h[:16]) + ".stp"
}

func stapOptions(s *Script, o RunOptions) stap.Options {
	return stap.Options{
		Runtime: string(s.Runtime),
		Cmd:     o.Cmd,
		PID:     o.PID,
		Release: o.Release,
		Extra:   append(append([]string{}, s.StapArgs...), o.Extra...),
	}
}

// runner runs stap for s, with the environment its header asks for.
func (o RunOptions) runner(s *Script) *stap.Runner {
	path := o.Stap
	if path == "" {
		path = "stap"
	}
	return &stap.Runner{Path: path, GracePeriod: o.GracePeriod, Env: s.StapEnv}
}

func (o RunOptions) logCommand(r *stap.Runner, args []string) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, "stapgen: %s %s\n", r.Path, strings.Join(args, " "))
	}
}

// Run runs the script on this machine and feeds its events to o.Sink.
// Cancelling ctx stops stap the way Ctrl-C does; every record it wrote
// before stopping is still delivered. The error is for a run that could
// not start; how a started run ended is in the Result.
func Run(ctx context.Context, s *Script, o RunOptions) (*Result, error) {
	w, err := newWorkdir(s, o.ScriptDir)
	if err != nil {
		return nil, err
	}
	defer w.remove()
	opts := stapOptions(s, o)
	// Records always go to a file (-o) that stapgen follows: the traced
	// command (-c) shares stap's stdout and could otherwise split a record,
	// and stap-like wrappers (the lab's VM) deliver output the same way.
	opts.Output = w.records
	opts.Stdout = o.CmdOutput
	opts.CmdStderr = o.CmdStderr
	runner := o.runner(s)
	o.logCommand(runner, opts.Args(w.script))
	// The script stops itself after --max-events records, but the decoder
	// may drop some of them (a BPF Go entry the runtime restarted), so the
	// run also stops, as Ctrl-C would, once the max-th event is delivered.
	runCtx, full := context.WithCancel(ctx)
	defer full()
	proc, err := runner.Start(runCtx, w.script, opts)
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = proc.Wait(); close(done) }()
	stop := func(err error) (*Result, error) {
		proc.Stop()
		<-done
		return nil, err
	}
	f, err := os.Open(w.records)
	if err != nil {
		return stop(err)
	}
	defer f.Close()
	wake, unwatch := watchWrites(w.records)
	defer unwatch()
	var out io.Reader = &follower{f: f, done: done, wake: wake}
	if o.Save != "" {
		sf, err := os.Create(o.Save)
		if err != nil {
			return stop(err)
		}
		defer sf.Close()
		fmt.Fprintf(sf, "%s\n", script.SchemaComment(s.Schema))
		out = io.TeeReader(out, sf)
	}
	c, decErr := decodeMax(out, s.Schema, o.Sink, s.MaxEvents, full)
	<-done
	n := c.Records
	res := &Result{Events: n, Restarted: c.Restarted, LateRestarts: c.LateRestarts, Losses: proc.Losses(), Stderr: proc.Stderr(), DecodeErr: decErr, Interrupted: ctx.Err() != nil}
	if s.MaxEvents == 0 || n < s.MaxEvents {
		// Past --max-events the run is stopped and the rest not wanted.
		res.Losses.Missing = c.Missing
	}
	if o.Cmd != "" {
		res.LeftGroup = proc.LeftGroup()
	}
	if !res.Interrupted && (runCtx.Err() == nil || n < s.MaxEvents) {
		res.StapErr = waitErr
	}
	return res, nil
}
