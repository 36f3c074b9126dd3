package symfile

import (
	"sort"
	"strings"
)

// unsafe are the characters a name cannot carry into function("...") as
// they are. stap's lexer keeps \\ and \" as two characters but drops the
// backslash of any other escape, and fnmatch(3) then sees '*', '?', '['
// as wildcards. A name without wildcards is compared as a plain string, so
// an escaped quote or backslash never matches: stap 4.8 and 5.1 answer
// function("main.(\\*T).M") and a name with \" in it with "no match", and
// function("main.(\*T).M") reaches fnmatch as main.(*T).M, whose star also
// matches other receivers (sync.(*Mutex).TryLock matches
// sync.(*RWMutex).TryLock).
const unsafe = "*?[]\\\""

// Wildcard is name as stap's function("...") can take it: each character
// stap cannot be given literally becomes '?', which fnmatch lets match
// exactly that character (and any other one: the caller checks that the
// result names one function only). The result holds no quote and no
// backslash, so it goes between the quotes as it is.
func Wildcard(name string) string {
	b := []byte(name)
	for i, c := range b {
		if strings.IndexByte(unsafe, c) >= 0 {
			b[i] = '?'
		}
	}
	return string(b)
}

// Matcher answers Pattern for one binary's function names.
type Matcher struct {
	fwd, rev []string // the names sorted, and each reversed, sorted
}

// NewMatcher indexes names (the binary's function names, in any order).
func NewMatcher(names []string) *Matcher {
	m := &Matcher{fwd: append([]string(nil), names...), rev: make([]string, len(names))}
	sort.Strings(m.fwd)
	for i, n := range names {
		m.rev[i] = reverse(n)
	}
	sort.Strings(m.rev)
	return m
}

// Pattern returns the string to give stap's function("...") so that it
// matches name and no other function: name itself when it has none of the
// characters above, else name with each of them replaced by '?', which
// fnmatch lets match exactly one character, the star and the quote
// included. The result goes between the quotes as it is: it holds no quote
// and no backslash. false when the pattern also matches another function
// (or none). It serves binaries with DWARF too, where stap matches the
// same way against DW_AT_name.
func (m *Matcher) Pattern(name string) (string, bool) {
	if !strings.ContainsAny(name, unsafe) {
		return name, true
	}
	p := Wildcard(name)
	first, last := strings.IndexByte(p, '?'), strings.LastIndexByte(p, '?')
	// Only names sharing the text before the first '?' and after the last
	// can match; scan whichever of the two runs is shorter.
	prefix, suffix := p[:first], reverse(p[last+1:])
	flo, fhi := span(m.fwd, prefix)
	rlo, rhi := span(m.rev, suffix)
	matches := 0
	if fhi-flo <= rhi-rlo {
		for _, n := range m.fwd[flo:fhi] {
			if globMatch(p, n) {
				matches++
			}
		}
	} else {
		for _, r := range m.rev[rlo:rhi] {
			if len(r) == len(p) && globMatch(p, reverse(r)) {
				matches++
			}
		}
	}
	return p, matches == 1
}

// span is the run of sorted that starts with prefix.
func span(sorted []string, prefix string) (int, int) {
	lo := sort.SearchStrings(sorted, prefix)
	hi := lo + sort.Search(len(sorted)-lo, func(i int) bool { return !strings.HasPrefix(sorted[lo+i], prefix) })
	return lo, hi
}

func reverse(s string) string {
	b := make([]byte, len(s))
	for i := range b {
		b[i] = s[len(s)-1-i]
	}
	return string(b)
}

// globMatch is fnmatch(p, s, 0) for a p whose only wildcard is '?'.
func globMatch(p, s string) bool {
	if len(p) != len(s) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '?' && p[i] != s[i] {
			return false
		}
	}
	return true
}
