package command

import (
	"fmt"
	"time"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/report"
	"github.com/stapgen/stapgen/internal/session"
	"github.com/urfave/cli/v2"
)

func outputFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "format", Value: "table", Usage: "`FORMAT` of events: table (aligned, live), json (one event per line), summary (counts and latency histograms at the end) or folded (backtraces counted as folded stacks for flame graphs; needs --backtrace)"},
		&cli.StringFlag{Name: "symbols", Usage: "name backtrace frames, and the dynamic types of Go interfaces the BPF runtime printed, from this `BINARY` or vmlinux (run defaults to its TARGET; without one, frames stay addresses and those types unnamed)"},
		&cli.BoolFlag{Name: "summary", Usage: "print the end-of-run summary after the events"},
		&cli.StringFlag{Name: "top", Usage: "in the summary, list the most frequent values of `FIELD`"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print stap's full stderr and the stap command line"},
	}
}

// outputOptions are the output flags run and decode share.
type outputOptions struct {
	format, top string
	// symbols names backtrace frames (folded stacks, and the names beside
	// the addresses in table and JSON); "" leaves them addresses.
	symbols string
	summary bool
	open    session.OpenOptions
}

func outputFlagsOf(c *cli.Context) outputOptions {
	return outputOptions{
		format: c.String("format"), top: c.String("top"), symbols: c.String("symbols"),
		summary: c.Bool("summary") || c.IsSet("top"),
		open:    openFlags(c),
	}
}

// newSink builds the output of --format.
func newSink(env *Env, o outputOptions, s *event.Schema) (report.Sink, error) {
	color := env.IsTerminal && env.Getenv("NO_COLOR") == ""
	var sinks []report.Sink
	switch o.format {
	case "table":
		sinks = append(sinks, report.NewText(env.Stdout, s, report.TextOptions{Color: color}))
	case "json":
		sinks = append(sinks, report.NewJSON(env.Stdout))
	case "summary":
	case "folded":
		if !hasEnc(s, event.EncStack) {
			return nil, usagef("--format folded counts backtraces, and these records have none: add --backtrace user (or kernel)")
		}
		name, err := foldedNamer(o.open, o.symbols)
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, report.NewFolded(env.Stdout, s, name))
	default:
		return nil, usagef("--format %q: want table, json, summary or folded", o.format)
	}
	if o.format == "summary" || o.summary {
		// A JSON stream stays JSON: its summary is one more JSON line.
		sinks = append(sinks, report.NewSummary(env.Stdout, s, report.SummaryOptions{Top: o.top, JSON: o.format == "json", ShowAggs: o.format == "summary"}))
	}
	sink := report.Live(report.Multi(sinks...), 100*time.Millisecond)
	if (o.format == "table" || o.format == "json") && o.symbols != "" && hasEnc(s, event.EncStack) {
		name, err := valueNamer(o.open, o.symbols)
		if err != nil {
			return nil, err
		}
		sink = report.NameFrames(sink, s, name)
	}
	switch {
	case o.symbols != "" && hasEnc(s, event.EncDynWords):
		name, done, err := typeNamer(o.open, o.symbols)
		if err != nil {
			return nil, err
		}
		sink = report.NameTypes(sink, s, name, done)
	case hasEnc(s, event.EncDynWords):
		fmt.Fprintln(env.Stderr, "stapgen: note: the BPF runtime's Go interfaces print with their types unnamed (<? 0xDATA>); --symbols BINARY names them from the traced binary")
	}
	return sink, nil
}
