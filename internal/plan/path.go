package plan

import "fmt"

// checkPath refuses a binary path with bytes that stap cannot take in a
// probe point, so the generator can quote it as it is.
func checkPath(p string) error {
	if p == "" || p[0] != '/' {
		return fmt.Errorf("target path %q is not absolute", p)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '*' || c == '?' || c == '[' || c == ']' {
			return fmt.Errorf("target path %q: character %q cannot appear in a stap probe point; copy or link the binary to a plain path", p, c)
		}
	}
	return nil
}
