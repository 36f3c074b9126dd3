package script

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/plan"
	"github.com/stapgen/stapgen/internal/spec"
)

// schemaTag starts the header line that carries the record schema, so a
// script (and stapgen decode) can be decoded without regenerating it.
const (
	schemaTag  = "# stapgen-schema: "
	argsTag    = "# stapgen-stap-args: "
	envTag     = "# stapgen-stap-env: "
	runtimeTag = "# stapgen-runtime: "
	maxTag     = "# stapgen-max-events: "
)

// TargetLine names the target for the header.
func (v *View) TargetLine() string {
	t := v.Plan.Target
	s := t.Path
	if t.Kernel {
		s = "kernel"
		if t.Module != "" {
			s = "module " + t.Module + " of the kernel"
		}
		if t.Release != "" {
			s += " " + t.Release
		}
	}
	if t.BuildID != "" {
		s += " (build-id " + t.BuildID + ")"
	}
	if t.GoVersion != "" {
		s += " " + t.GoVersion
	}
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

// RunLine is the stap command line the script needs.
func (v *View) RunLine() string {
	args := append(append([]string{}, v.Plan.StapEnv...), "stap")
	args = append(args, v.Plan.StapArgs...)
	if v.BPF {
		args = append(args, "--runtime=bpf")
	}
	args = append(args, "-o", "OUTPUT", "THIS.stp")
	if !v.Plan.Target.Kernel {
		args = append(args, "[-c 'CMD' | -x PID]")
	}
	return strings.Join(args, " ")
}

// SchemaLine is the schema as one base64 line.
func (v *View) SchemaLine() string { return encodeSchema(&v.Plan.Schema) }

func encodeSchema(s *event.Schema) string {
	b, _ := json.Marshal(s)
	return base64.StdEncoding.EncodeToString(b)
}

// SchemaComment is the header line that carries s; stapgen run --save
// writes it first so a saved output decodes without its script.
func SchemaComment(s *event.Schema) string { return schemaTag + encodeSchema(s) }

// IsSchemaLine tells the schema header line (which run --save writes
// first) from output.
func IsSchemaLine(line []byte) bool { return strings.HasPrefix(string(line), schemaTag) }

// ArgsLine is the stap options the plan needs, as a JSON list.
func (v *View) ArgsLine() string {
	b, _ := json.Marshal(append([]string{}, v.Plan.StapArgs...))
	return string(b)
}

// EnvLine is the environment stap needs, as a JSON list.
func (v *View) EnvLine() string {
	b, _ := json.Marshal(append([]string{}, v.Plan.StapEnv...))
	return string(b)
}

// ReadStapArgs returns the stap options recorded in a rendered script.
func ReadStapArgs(script []byte) []string { return headerList(script, argsTag) }

// ReadStapEnv returns the environment recorded in a rendered script.
func ReadStapEnv(script []byte) []string { return headerList(script, envTag) }

func headerList(script []byte, tag string) []string {
	var l []string
	if v := headerValue(script, tag); v != "" {
		if json.Unmarshal([]byte(v), &l) != nil {
			return nil
		}
	}
	return l
}

// ReadMaxEvents returns the record limit of a rendered script, 0 for none.
// The script's own count can pass it by a record or so on the BPF
// runtime, whose globals take no lock between CPUs; the run delivers
// exactly this many.
func ReadMaxEvents(script []byte) int {
	n, err := strconv.Atoi(headerValue(script, maxTag))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// ReadRuntime returns the runtime a rendered script was generated for.
func ReadRuntime(script []byte) spec.Runtime {
	switch r := spec.Runtime(headerValue(script, runtimeTag)); r {
	case spec.RuntimeKernel, spec.RuntimeBPF:
		return r
	}
	return ""
}

func headerValue(script []byte, tag string) string {
	for _, line := range strings.Split(string(script), "\n") {
		if strings.HasPrefix(line, tag) {
			return strings.TrimSpace(line[len(tag):])
		}
	}
	return ""
}

// NeedsPass is true when Go entry/return filter pairing is used.
func (v *View) NeedsPass() bool {
	for _, p := range v.Plan.Probes {
		if p.Mark || p.Check {
			return true
		}
	}
	return false
}

// NeedsEvents is true when the script counts its records against
// --max-events itself: not when the plan leaves the limit to the run
// (scriptMax), nor when no probe prints a record (aggregates alone).
func (v *View) NeedsEvents() bool {
	return scriptMax(v.Plan) > 0 && slices.ContainsFunc(v.Plan.Probes, func(p plan.Probe) bool {
		return !p.NoRecord && p.Site != event.SiteRestart
	})
}

// Records is true when a probe prints records (not aggregates alone).
func (v *View) Records() bool {
	return slices.ContainsFunc(v.Plan.Probes, func(p plan.Probe) bool { return !p.NoRecord })
}

// NeedsOn is true when a record split over BPF handlers is counted
// against --max-events: the first handler tells the others it printed.
func (v *View) NeedsOn() bool {
	for _, p := range v.Plan.Probes {
		if len(p.Split) > 0 && scriptMax(v.Plan) > 0 {
			return true
		}
	}
	return false
}

// AggKeys are the keys of the aggregates array the probes can fill:
// PROBE*100 for a count, PROBE*100 + 1 + BITS for a latency bucket.
func (v *View) AggKeys() []int {
	var keys []int
	for _, p := range v.Plan.Probes {
		if p.Count {
			keys = append(keys, p.Index*100)
		}
		if p.LatEnd {
			for b := 0; b <= 61; b++ {
				keys = append(keys, p.Index*100+1+b)
			}
		}
	}
	return keys
}

// NeedsLatency is true when a probe times calls in the script.
func (v *View) NeedsLatency() bool {
	for _, p := range v.Plan.Probes {
		if p.LatEnd {
			return true
		}
	}
	return false
}

// NeedsDedup is true when Go entries drop repeated uprobe firings.
func (v *View) NeedsDedup() bool {
	for _, p := range v.Plan.Probes {
		if p.Dedup {
			return true
		}
	}
	return false
}

// ErrNoSchema means a script was not generated by stapgen.
var ErrNoSchema = errors.New("no stapgen schema in script (was it generated by stapgen gen?)")

// ReadSchema extracts the record schema from a rendered script.
func ReadSchema(script []byte) (*event.Schema, error) {
	for _, line := range strings.Split(string(script), "\n") {
		if !strings.HasPrefix(line, schemaTag) {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(line[len(schemaTag):]))
		if err != nil {
			return nil, fmt.Errorf("script schema: %w", err)
		}
		var s event.Schema
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("script schema: %w", err)
		}
		if s.Version != 1 {
			return nil, fmt.Errorf("script schema version %d: this stapgen reads version 1", s.Version)
		}
		return &s, nil
	}
	return nil, ErrNoSchema
}
