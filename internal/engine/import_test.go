package engine

import "testing"

// Offers are matched by serial: every way a serial is written (colons,
// upper case, leading zeros) keys the same offer.
func TestNormalSerial(t *testing.T) {
	cases := []struct{ in, want string }{
		{"0EC52C57", "ec52c57"},
		{"0e:c5:2c:57", "ec52c57"},
		{" ec52c57 ", "ec52c57"},
		{"00", "0"},
		{"", ""},
	}
	for _, c := range cases {
		if got := NormalSerial(c.in); got != c.want {
			t.Errorf("NormalSerial(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
