package debuginfo

// glob is a function-name pattern: '*' matches any run of characters
// (including '/' and '.', so "net/*" and "main.*" work), '?' one
// character, and '\' makes the next character literal. Brackets are
// literal, unlike fnmatch, because Go names contain them
// ("main.Sum[go.shape.int]").
type glob struct {
	toks []globTok
}

type globTok struct {
	kind byte // 'l' literal, '*', '?'
	lit  string
}

func compileGlob(p string) glob {
	var g glob
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
			return true
		}
	}
	return false
}

// match runs the classic iterative wildcard algorithm with backtracking to
// the last star: linear in practice, no recursion on hostile patterns.
func (g glob) match(s string) bool {
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
