package script

import "testing"

func TestOriginAt(t *testing.T) {
	src := []byte(`# header
global g
probe process("x").function("f").call
# from: f
{
	# from: --fields name->len
	# from: the default field who
	# from: the default field who
	printf("%d %s", $name->len, $who)
	# from: --where n > 1
	if ($n > 1) next
}
`)
	for _, tc := range []struct {
		line  int
		ident string
		want  string
		ok    bool
	}{
		{1, "", "", false},
		{2, "", "", false},
		{5, "", "f", true},
		{9, "$name", "--fields name->len", true},
		{9, "who", "the default field who", true},
		{9, "$nosuch", "--fields name->len or the default field who", true},
		{9, "", "--fields name->len or the default field who", true},
		{11, "$n", "--where n > 1", true},
		{0, "", "", false},
		{99, "", "", false},
	} {
		got, ok := OriginAt(src, tc.line, tc.ident)
		if got != tc.want || ok != tc.ok {
			t.Errorf("line %d %q: %q, %v; want %q, %v", tc.line, tc.ident, got, ok, tc.want, tc.ok)
		}
	}
}
