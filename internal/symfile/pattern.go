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

// Pattern returns the string to give stap's function("...") so that it
// matches name and no other of names (the binary's function names, in any
// order): name itself when it has none of the characters above, else name
// with each of them replaced by '?', which fnmatch lets match exactly one
// character, the star and the quote included. The result goes between the
// quotes as it is: it holds no quote and no backslash. false when that pattern would also match
// another function. It serves binaries with DWARF too, where stap matches
// the same way against DW_AT_name.
func Pattern(name string, names []string) (string, bool) {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	return patternIn(name, sorted)
}

// patternIn is Pattern over names already sorted.
func patternIn(name string, sorted []string) (string, bool) {
	if !strings.ContainsAny(name, unsafe) {
		return name, true
	}
	b := []byte(name)
	first := -1
	for i, c := range b {
		if strings.IndexByte(unsafe, c) >= 0 {
			b[i] = '?'
			if first < 0 {
				first = i
			}
		}
	}
	p := string(b)
	// Only names sharing the text before the first '?' can match.
	prefix := p[:first]
	matches := 0
	for i := sort.SearchStrings(sorted, prefix); i < len(sorted) && strings.HasPrefix(sorted[i], prefix); i++ {
		if globMatch(p, sorted[i]) {
			matches++
		}
	}
	return p, matches == 1
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
