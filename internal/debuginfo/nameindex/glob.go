package nameindex

// Glob is a function-name pattern: '*' matches any run of characters
// (including '/' and '.', so "net/*" and "main.*" work), '?' one
// character, and '\' makes the next character literal. Brackets are
// literal, unlike fnmatch, because Go names contain them
// ("main.Sum[go.shape.int]"), and so is a '*' right after '(': it spells
// a Go pointer receiver, and "runtime.(*p).init" read as a glob also
// matched runtime.(*mheap).init.
type Glob struct {
	toks []globTok
}

type globTok struct {
	kind byte // 'l' literal, '*', '?'
	lit  string
}

// Literal returns the name a pattern without wildcards stands for.
func (g Glob) Literal() (string, bool) {
	switch {
	case len(g.toks) == 0:
		return "", true
	case len(g.toks) == 1 && g.toks[0].kind == 'l':
		return g.toks[0].lit, true
	}
	return "", false
}

// Compile reads a pattern; every string is one (a lone '\' at the end is
// literal).
func Compile(p string) Glob {
	var g Glob
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			g.toks = append(g.toks, globTok{kind: 'l', lit: string(lit)})
			lit = nil
		}
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '\\':
			if i+1 < len(p) {
				i++
				lit = append(lit, p[i])
			} else {
				lit = append(lit, c)
			}
		case '*', '?':
			if receiverStar(p, i) {
				lit = append(lit, c)
				continue
			}
			flush()
			if c == '*' && len(g.toks) > 0 && g.toks[len(g.toks)-1].kind == '*' {
				continue
			}
			g.toks = append(g.toks, globTok{kind: c})
		default:
			lit = append(lit, c)
		}
	}
	flush()
	return g
}

// IsPattern reports whether p contains an unescaped wildcard, so callers
// can choose between Lookup (exact name, fast path) and Match.
func IsPattern(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '*', '?':
			if !receiverStar(p, i) {
				return true
			}
		}
	}
	return false
}

// receiverStar reports whether p[i] is the '*' of a Go pointer receiver,
// "(*T)", which is literal.
func receiverStar(p string, i int) bool {
	return p[i] == '*' && i > 0 && p[i-1] == '('
}

// Match reports whether s matches the whole pattern. It runs the classic iterative wildcard algorithm with backtracking to
// the last star: linear in practice, no recursion on hostile patterns.
func (g Glob) Match(s string) bool {
	ti, si := 0, 0
	starT, starS := -1, 0
	for {
		if ti < len(g.toks) {
			t := g.toks[ti]
			switch t.kind {
			case '*':
				starT, starS = ti, si
				ti++
				continue
			case '?':
				if si < len(s) {
					ti++
					si++
					continue
				}
			case 'l':
				if len(s)-si >= len(t.lit) && s[si:si+len(t.lit)] == t.lit {
					ti++
					si += len(t.lit)
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starT < 0 || starS >= len(s) {
			return false
		}
		starS++
		ti, si = starT+1, starS
	}
}
