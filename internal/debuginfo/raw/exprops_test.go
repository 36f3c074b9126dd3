package raw

import "testing"

func TestUnusable(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"reg", []byte{0x55}, false},
		{"pieces", []byte{0x5e, 0x93, 0x08, 0x76, 0x18, 0x93, 0x08}, false},
		// GCC's do_tcp_getsockopt optlen: reg14 uninit piece 8 breg6+24 uninit piece 8.
		{"uninit", []byte{0x5e, 0xf0, 0x93, 0x08, 0x76, 0x18, 0xf0, 0x93, 0x08}, true},
		{"f0 as an operand", []byte{0x91, 0xf0, 0x01}, false},
		{"entry_value", []byte{0xa3, 0x01, 0x55, 0x9f}, false},
		{"fbreg", []byte{0x91, 0x10}, false},
		{"truncated", []byte{0x0e, 0x01}, true},
		{"unknown", []byte{0xe5}, true},
	} {
		if got := Unusable(tc.b); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}

func FuzzUnusable(f *testing.F) {
	f.Add([]byte{0x5e, 0xf0, 0x93, 0x08})
	f.Fuzz(func(t *testing.T, b []byte) { Unusable(b) })
}
