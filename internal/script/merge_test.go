package script

import "testing"

func TestMergeBPFPrints(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"head, value and tail",
			"\tprintf(\"\\037%ld|@@sg1 0 %ld -\\036\", cpu(), pid())\n\t# from: n\n\tprintf(\"\\037%ld| %ld\\036\", cpu(), $n)\n\tprintf(\"\\037%ld|\\n\\036\", cpu())",
			"\t# from: n\n\tprintf(\"\\037%ld|@@sg1 0 %ld - %ld\\n\\036\", cpu(), pid(), $n)"},
		{"a condition between stays a boundary",
			"\tprintf(\"\\037%ld|a\\036\", cpu())\n\tif ($s == 0) printf(\"\\037%ld| !\\036\", cpu())\n\tprintf(\"\\037%ld|b\\036\", cpu())",
			"\tprintf(\"\\037%ld|a\\036\", cpu())\n\tif ($s == 0) printf(\"\\037%ld| !\\036\", cpu())\n\tprintf(\"\\037%ld|b\\036\", cpu())"},
		{"the body of an if without braces takes nothing after it",
			"\tif (x)\n\tprintf(\"\\037%ld|a\\036\", cpu())\n\tprintf(\"\\037%ld|b\\036\", cpu())",
			"\tif (x)\n\tprintf(\"\\037%ld|a\\036\", cpu())\n\tprintf(\"\\037%ld|b\\036\", cpu())"},
		{"different CPU expressions",
			"\tprintf(\"\\037%ld|a\\036\", cpu())\n\tprintf(\"\\037%ld|b\\036\", __sg_c)",
			"\tprintf(\"\\037%ld|a\\036\", cpu())\n\tprintf(\"\\037%ld|b\\036\", __sg_c)"},
		{"two statements on a line",
			"\tprintf(\"\\037%ld|a\\036\", cpu())\n\tprintf(\"\\037%ld|b\\036\", cpu()); printf(\"\\037%ld|c\\036\", cpu())",
			"\tprintf(\"\\037%ld|a\\036\", cpu())\n\tprintf(\"\\037%ld|b\\036\", cpu()); printf(\"\\037%ld|c\\036\", cpu())"},
		{"over the stack budget",
			"\tprintf(\"\\037%ld|%lx%lx%lx%lx\\036\", cpu(), user_uint64($p), user_uint64($p + 8), user_uint64($p + 16), user_uint64($p + 24))\n\tprintf(\"\\037%ld|%lx%lx\\036\", cpu(), user_uint64($p + 32), $n)",
			"\tprintf(\"\\037%ld|%lx%lx%lx%lx\\036\", cpu(), user_uint64($p), user_uint64($p + 8), user_uint64($p + 16), user_uint64($p + 24))\n\tprintf(\"\\037%ld|%lx%lx\\036\", cpu(), user_uint64($p + 32), $n)"},
		{"nested calls in arguments",
			"\tprintf(\"\\037%ld|a%ld\\036\", cpu(), f(g(1), 2))\n\tprintf(\"\\037%ld|b%ld\\036\", cpu(), ($x & 0xff))",
			"\tprintf(\"\\037%ld|a%ldb%ld\\036\", cpu(), f(g(1), 2), ($x & 0xff))"},
	} {
		if got := mergeBPFPrints(tc.in); got != tc.want {
			t.Errorf("%s:\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}
