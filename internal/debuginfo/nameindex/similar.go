package nameindex

import (
	"math"
	"sort"
	"strings"
)

// words splits an identifier into lower-case words at '_', '.', '/',
// punctuation and lower→upper case changes: "net/http.(*Server).Serve" →
// net http server serve.
func words(s string) []string {
	var out []string
	var cur []byte
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		isAlnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !isAlnum {
			flush()
			continue
		}
		if c >= 'A' && c <= 'Z' && i > 0 && s[i-1] >= 'a' && s[i-1] <= 'z' {
			flush()
		}
		cur = append(cur, c)
	}
	flush()
	return out
}

type scored struct {
	name  string
	score float64
}

// Similar scores candidates by a mix of rarity-weighted word overlap
// and normalised edit distance, returning the top k above a floor.
func Similar(q string, all []string, k int) []string {
	qw := words(q)
	if len(qw) == 0 || len(all) == 0 {
		return nil
	}
	qset := map[string]bool{}
	for _, w := range qw {
		qset[w] = true
	}
	// Document frequency of the query's words only: cheap, one pass.
	df := map[string]int{}
	cand := make([][]string, len(all))
	for i, n := range all {
		ws := words(n)
		cand[i] = ws
		seen := map[string]bool{}
		for _, w := range ws {
			if qset[w] && !seen[w] {
				seen[w] = true
				df[w]++
			}
		}
	}
	N := float64(len(all))
	weight := func(w string) float64 { return math.Log(1 + N/float64(1+df[w])) }
	var total float64
	for w := range qset {
		total += weight(w)
	}
	ql := strings.ToLower(strings.Trim(q, "_"))
	var res []scored
	for i, n := range all {
		var shared float64
		for w := range qset {
			for _, cw := range cand[i] {
				if cw == w {
					shared += weight(w)
					break
				}
			}
		}
		wordScore := shared / total
		// Penalise long candidates a little: prefer lookup_one over
		// lookup_one_positive_unlocked when both share the same words.
		wordScore -= 0.02 * float64(len(cand[i]))
		editScore := 0.0
		nl := strings.ToLower(strings.Trim(n, "_"))
		if d := len(nl) - len(ql); d > -6 && d < 6 {
			editScore = 1 - float64(levenshtein(ql, nl))/float64(max(len(ql), len(nl)))
		}
		s := math.Max(wordScore, editScore)
		if strings.Contains(nl, ql) || strings.Contains(ql, nl) && len(nl) > 3 {
			s = math.Max(s, 0.7)
		}
		if s >= 0.35 && n != q {
			res = append(res, scored{n, s})
		}
	}
	sort.SliceStable(res, func(i, j int) bool {
		if res[i].score != res[j].score {
			return res[i].score > res[j].score
		}
		return res[i].name < res[j].name
	})
	var out []string
	for i := 0; i < len(res) && i < k; i++ {
		out = append(out, res[i].name)
	}
	return out
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
