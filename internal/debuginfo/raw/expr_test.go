package raw

import "testing"

// TestDescribeExpr uses encodings from the DWARF 5 standard, section 2.5.
func TestDescribeExpr(t *testing.T) {
	cases := []struct {
		expr []byte
		want string
	}{
		{nil, "optimized out"},
		{[]byte{0x55}, "reg rdi"}, // DW_OP_reg5
		{[]byte{0x50, 0x93, 0x08, 0x53, 0x93, 0x08}, "regs rax,rbx"}, // reg0 piece 8 reg3 piece 8
		{[]byte{0x91, 0x10}, "fbreg+16"},                             // DW_OP_fbreg 16
		{[]byte{0x91, 0x6c}, "fbreg-20"},                             // DW_OP_fbreg -20
		{[]byte{0x9c}, "cfa"},                                        // DW_OP_call_frame_cfa
		{[]byte{0x9c, 0x23, 0x08}, "cfa+8"},                          // + DW_OP_plus_uconst 8
		{[]byte{0x77, 0x08}, "breg rsp+8"},                           // DW_OP_breg7 8
		{[]byte{0x90, 0x11}, "reg xmm0"},                             // DW_OP_regx 17
		{[]byte{0xa3, 0x01, 0x55, 0x9f}, "entry_value"},              // entry_value(reg5) stack_value
		{[]byte{0x08, 0x2a, 0x9f}, "value"},                          // const1u 42 stack_value
		{[]byte{0x03, 1, 2, 3, 4, 5, 6, 7, 8}, "addr"},
	}
	for _, c := range cases {
		if got := DescribeExpr(c.expr); got != c.want {
			t.Errorf("DescribeExpr(% x) = %q, want %q", c.expr, got, c.want)
		}
	}
}
