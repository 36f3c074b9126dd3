package event

import (
	"bytes"
	"slices"
	"strconv"
)

// StatSchema describes a probe's keyed or summed statistic, computed in
// the script: Kind "count" (calls), "sum" (of the integer Value) or
// "latency" (entry→return ns), kept per value of Key when set.
type StatSchema struct {
	Kind  string `json:"kind"`
	Value string `json:"value,omitempty"`
	Key   string `json:"by,omitempty"`
}

// Stat is one snapshot of a probe's statistic. Its lines:
//
//	@@sga k PROBE COUNT SUM MIN MAX KEY   (kernel runtime)
//	@@sga k PROBE COUNT SUM KEY           (BPF: no @min, @max)
//
// KEY is "-" (no key), "!" (the key or value could not be read), "i N"
// or "s TEXT", TEXT escaped by stap's text_str up to the end of the line.
type Stat struct {
	Function string `json:"probe"`
	Site     Site   `json:"site"`
	StatSchema
	// Keys are the keys printed, the most calls first (ties by key); a
	// statistic without a key has one, with no Key.
	Keys []KeyStat `json:"keys"`
}

// KeyStat is the statistic of one key. For a count, Sum is Count.
type KeyStat struct {
	// Key is an int64, a uint64 (past int64's range) or a string; nil
	// without a key, or when Unreadable.
	Key        any   `json:"key,omitempty"`
	Unreadable bool  `json:"unreadable,omitempty"`
	Count      int64 `json:"count"`
	Sum        int64 `json:"sum"`
	Avg        int64 `json:"avg"`
	// Min and Max are the extremes where the runtime reports them.
	Min *int64 `json:"min,omitempty"`
	Max *int64 `json:"max,omitempty"`
}

// statLine takes one "k" line (after "@@sga k ").
func (d *Decoder) statLine(line []byte) error {
	var nums []int64
	rest := line
	for {
		tok, after, _ := bytes.Cut(rest, []byte(" "))
		n, err := strconv.ParseInt(string(tok), 10, 64)
		if err != nil {
			break
		}
		nums, rest = append(nums, n), after
	}
	if len(nums) != 3 && len(nums) != 5 || nums[0] < 0 || nums[0] >= int64(len(d.s.Probes)) || nums[1] < 0 {
		return errAgg
	}
	ks := KeyStat{Count: nums[1], Sum: nums[2]}
	if ks.Count > 0 {
		ks.Avg = ks.Sum / ks.Count
	}
	if len(nums) == 5 {
		ks.Min, ks.Max = &nums[3], &nums[4]
	}
	marker, val, _ := bytes.Cut(rest, []byte(" "))
	switch string(marker) {
	case "-":
		if len(val) > 0 {
			return errAgg
		}
	case "!":
		if len(val) > 0 {
			return errAgg
		}
		ks.Unreadable = true
	case "i":
		if n, err := strconv.ParseInt(string(val), 10, 64); err == nil {
			ks.Key = n
		} else if u, err := strconv.ParseUint(string(val), 10, 64); err == nil {
			ks.Key = u
		} else {
			return errAgg
		}
	case "s":
		s, ok := unescapeText(val)
		if !ok {
			return errAgg
		}
		ks.Key = s
	default:
		return errAgg
	}
	p := int(nums[0])
	a := d.snapshot()
	st := a.stats[p]
	if st == nil {
		st = &Stat{Function: d.s.Probes[p].Function, Site: d.s.Probes[p].Site}
		if sc := d.s.Probes[p].Stat; sc != nil {
			st.StatSchema = *sc
		}
		a.stats[p] = st
	}
	st.Keys = append(st.Keys, ks)
	return nil
}

// settle orders the keys: most calls first, then by key, so that the
// order does not depend on how stap broke ties.
func (st *Stat) settle() {
	slices.SortStableFunc(st.Keys, func(a, b KeyStat) int {
		if a.Count != b.Count {
			if a.Count > b.Count {
				return -1
			}
			return 1
		}
		return compareKeys(a.Key, b.Key)
	})
}

func compareKeys(a, b any) int {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmpOrdered(x, y)
		}
	case uint64:
		if y, ok := b.(uint64); ok {
			return cmpOrdered(x, y)
		}
	case string:
		if y, ok := b.(string); ok {
			return cmpOrdered(x, y)
		}
	}
	return 0
}

func cmpOrdered[T int64 | uint64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// unescapeText undoes stap's text_str: C escapes for the quote,
// backslash and control characters, octal for other bytes outside
// printable ASCII.
func unescapeText(b []byte) (string, bool) {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b), true
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i == len(b) {
			return "", false
		}
		switch e := b[i]; e {
		case 'a':
			out = append(out, '\a')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, '\v')
		case '"', '\'', '\\', '?':
			out = append(out, e)
		default:
			if e < '0' || e > '7' {
				return "", false
			}
			v, n := 0, 0
			for ; n < 3 && i+n < len(b) && b[i+n] >= '0' && b[i+n] <= '7'; n++ {
				v = v*8 + int(b[i+n]-'0')
			}
			if v > 255 {
				return "", false
			}
			out = append(out, byte(v))
			i += n - 1
		}
	}
	return string(out), true
}
