package script

import "testing"

func TestTagPrints(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"probe x\n{\n\tprintf(\" %ld\", $a)\n}", "probe x\n{\n\tprintf(\"\\037%ld| %ld\\036\", cpu(), $a)\n}"},
		{"probe x\n{\n\tprint(\" 100%\")\n}", "probe x\n{\n\tprintf(\"\\037%ld| 100%%\\036\", cpu())\n}"},
		{"probe x\n{\n\tprintf(\"\\\"q\\\" %s\", s)\n}", "probe x\n{\n\tprintf(\"\\037%ld|\\\"q\\\" %s\\036\", cpu(), s)\n}"},
		{"probe x\n{\n\t__sg_n = 1; sprintf(\"a\"); my_printf(\"b\")\n}", "probe x\n{\n\t__sg_c = cpu()\n\t__sg_n = 1; sprintf(\"a\"); my_printf(\"b\")\n}"},
		{"probe x\n{\n\t__sg_n = 1\n\tprintf(\"\\n\")\n}", "probe x\n{\n\t__sg_c = cpu()\n\t__sg_n = 1\n\tprintf(\"\\037%ld|\\n\\036\", __sg_c)\n}"},
		{"printf(\"unterminated", "printf(\"unterminated"},
	} {
		if got := tagPrints(tc.in); got != tc.want {
			t.Errorf("tagPrints(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
