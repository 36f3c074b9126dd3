package event

import (
	"strconv"
	"testing"
)

// TestQuotedAsStrconv: appendQuoted writes what strconv.Quote does, for
// every byte alone, after a plain prefix and before plain bytes, and for
// UTF-8 runes, invalid sequences and escapes mixed with plain text.
func TestQuotedAsStrconv(t *testing.T) {
	var in []string
	for c := 0; c < 256; c++ {
		in = append(in, string(rune(c)), string([]byte{byte(c)}), "ab"+string([]byte{byte(c)})+"cd", string([]byte{byte(c), 'x'}))
	}
	in = append(in, "", "plain text", "tab\there", `q"uote`, `back\slash`, "héllo", "日本語 text", "\xff\xfe", "ok\xe6\x97",
		"\u2028\u2029", "\U0001F600 smile", "\x7f", "a\x00b", "mixed \x01 and é and \xc3", "\xef\xbf\xbd")
	for _, s := range in {
		want := strconv.Quote(s)
		if got := string(appendQuoted([]byte("pre"), []byte(s))); got != "pre"+want {
			t.Errorf("appendQuoted(%q) = %s, want pre%s", s, got, want)
		}
	}
}
