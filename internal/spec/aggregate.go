package spec

import (
	"strconv"
	"strings"
)

const (
	// AggSum is the count, sum, min, max and average of a numeric value
	// per probe ("sum:PATH").
	AggSum Aggregate = "sum"
	// AggTop is the most frequent values of a field ("top:PATH"): calls
	// counted per value, the --keys N largest printed.
	AggTop Aggregate = "top"
)

// DefaultTop is how many keys a keyed aggregate prints when --keys is not
// given: those with the most calls.
const DefaultTop = 10

// MaxTop bounds --keys: every key printed is one line per snapshot, and
// stapbpf's maps hold a few thousand entries.
const MaxTop = 1000

// ParseAggregate reads --aggregate's value: count, latency, sum:PATH or
// top:PATH. The path follows the first colon, so a cast in it
// ("sum:ctx:(struct x).n") keeps its own.
func ParseAggregate(s string) (Aggregate, *Path, error) {
	kind, rest, colon := strings.Cut(s, ":")
	switch Aggregate(kind) {
	case AggCount, AggLatency:
		if colon {
			return "", nil, invalid("aggregate %q: %s takes no value (key it with --by PATH)", s, kind)
		}
		return Aggregate(kind), nil, nil
	case AggSum, AggTop:
		if !colon || rest == "" {
			return "", nil, invalid("aggregate %q: %s needs the value it is over, as %s:PATH (e.g. %s:len)", s, kind, kind, kind)
		}
		p, err := ParsePath(rest)
		if err != nil {
			return "", nil, err
		}
		if p.Whole > 0 {
			return "", nil, invalid("aggregate %q: a whole value ($) has no single number to aggregate", s)
		}
		return Aggregate(kind), &p, nil
	}
	return "", nil, invalid("aggregate %q: want count, latency, sum:PATH or top:PATH", s)
}

// String is the aggregate as --aggregate spells it.
func aggString(a Aggregate, of *Path) string {
	if of == nil {
		return string(a)
	}
	return string(a) + ":" + of.String()
}

// normalizeAggregate checks the aggregate options together, and turns
// top:PATH into what it is: calls counted per value of PATH.
func (r *Request) normalizeAggregate() error {
	switch r.Aggregate {
	case AggNone, AggCount, AggLatency:
		if r.AggOf != nil {
			return invalid("aggregate %s takes no value", r.Aggregate)
		}
	case AggSum, AggTop:
		if r.AggOf == nil {
			return invalid("aggregate %s needs a value: %s:PATH", r.Aggregate, r.Aggregate)
		}
	default:
		return invalid("aggregate %q: want count, latency, sum:PATH or top:PATH", r.Aggregate)
	}
	switch {
	case r.Aggregate == AggNone && (r.By != nil || r.Top != 0):
		return invalid("--by and --keys key an aggregate: add --aggregate count, latency or sum:PATH")
	case r.Aggregate == AggTop && r.By != nil:
		return invalid("aggregate %s counts per value of %s already; drop --by %s", aggString(r.Aggregate, r.AggOf), r.AggOf, r.By)
	case r.Top != 0 && r.By == nil && r.Aggregate != AggTop:
		return invalid("--keys N limits the keys of a keyed aggregate: add --by PATH, or use --aggregate top:PATH")
	case r.Top < 0 || r.Top > MaxTop:
		return invalid("--keys %d: want 1..%d", r.Top, MaxTop)
	case r.By != nil && r.By.Whole > 0:
		return invalid("--by %s: a whole value ($) cannot be a key", r.By)
	}
	if r.Aggregate == AggTop {
		r.Aggregate, r.By, r.AggOf = AggCount, r.AggOf, nil
	}
	if r.By != nil && r.Top == 0 {
		r.Top = DefaultTop
	}
	return nil
}

// aggregateDirective reads a probe file's "aggregate KIND [by PATH] [keys N]".
func (r *Request) aggregateDirective(w []string) error {
	if len(w) == 0 {
		return invalid("aggregate needs count, latency, sum:PATH or top:PATH")
	}
	kind, of, err := ParseAggregate(w[0])
	if err != nil {
		return err
	}
	r.Aggregate, r.AggOf = kind, of
	for rest := w[1:]; len(rest) > 0; rest = rest[2:] {
		if len(rest) < 2 {
			return invalid("aggregate: %q needs a value", rest[0])
		}
		switch rest[0] {
		case "by":
			p, err := ParsePath(rest[1])
			if err != nil {
				return err
			}
			r.By = &p
		case "keys":
			n, err := strconv.Atoi(rest[1])
			if err != nil || n <= 0 {
				return invalid("aggregate: keys %q: want a positive number", rest[1])
			}
			r.Top = n
		default:
			return invalid("aggregate: unknown option %q: want by PATH or keys N", rest[0])
		}
	}
	return nil
}
