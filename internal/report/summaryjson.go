package report

import (
	"encoding/json"
	"sort"
)

// jsonSummary is the summary as one JSON object, so a JSON event stream
// stays JSON with the summary as its last line.
type jsonSummary struct {
	Summary struct {
		Counts    []jsonCount          `json:"counts"`
		Other     int                  `json:"other_lines,omitempty"`
		Malformed int                  `json:"malformed_records,omitempty"`
		TopField  string               `json:"top_field,omitempty"`
		Top       []jsonTop            `json:"top,omitempty"`
		Latency   map[string]jsonStats `json:"latency,omitempty"`
	} `json:"summary"`
}

type jsonCount struct {
	Probe string `json:"probe"`
	Site  string `json:"site"`
	Count int64  `json:"count"`
}

type jsonTop struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

type jsonStats struct {
	Calls int64 `json:"calls"`
	MinNS int64 `json:"min_ns"`
	AvgNS int64 `json:"avg_ns"`
	MaxNS int64 `json:"max_ns"`
	// Buckets are stap's @hist_log buckets: calls of FromNS up to twice it.
	Buckets []jsonBucket `json:"log2_buckets"`
}

type jsonBucket struct {
	FromNS int64 `json:"from_ns"`
	Count  int64 `json:"count"`
}

func (s *summary) closeJSON() error {
	var out jsonSummary
	o := &out.Summary
	for k, n := range s.counts {
		fn, site := k.fn, string(k.site)
		o.Counts = append(o.Counts, jsonCount{Probe: fn, Site: site, Count: n})
	}
	sort.Slice(o.Counts, func(i, j int) bool {
		a, b := o.Counts[i], o.Counts[j]
		return a.Probe < b.Probe || a.Probe == b.Probe && a.Site < b.Site
	})
	o.Other, o.Malformed = s.raw, s.errs
	if s.topField != "" {
		o.TopField = s.topField
		for _, x := range s.topValues(10) {
			o.Top = append(o.Top, jsonTop{Value: x.v, Count: x.n})
		}
	}
	if len(s.lat) > 0 {
		o.Latency = map[string]jsonStats{}
	}
	for fn, l := range s.lat {
		st := jsonStats{Calls: l.n, MinNS: l.min, AvgNS: l.sum / l.n, MaxNS: l.max}
		for i, c := range l.buckets {
			if c > 0 {
				st.Buckets = append(st.Buckets, jsonBucket{FromNS: bucketFrom(i), Count: c})
			}
		}
		o.Latency[fn] = st
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = s.w.Write(append(b, '\n'))
	return err
}
