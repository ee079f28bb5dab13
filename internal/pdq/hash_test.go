package pdq

import (
	"errors"
	"strings"
	"testing"
)

func TestParseHash(t *testing.T) {
	const small = "0007001f003f003f007f00ff00ff00ff01ff01ff01ff03ff03ff03ff03ff03ff"
	tests := []struct {
		name, in string
		want     string // "" when an error is expected
	}{
		{"lower", small, small},
		{"upper", strings.ToUpper(small), small},
		{"zero", strings.Repeat("0", 64), strings.Repeat("0", 64)},
		{"short", small[:63], ""},
		{"long", small + "0", ""},
		{"empty", "", ""},
		{"not hex", "g" + small[1:], ""},
		{"spaces", " " + small[1:], ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ParseHash(tc.in)
			if tc.want == "" {
				if !errors.Is(err, ErrBadHash) {
					t.Fatalf("ParseHash(%q) error %v, want ErrBadHash", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.String() != tc.want {
				t.Errorf("round trip %q, want %q", h.String(), tc.want)
			}
		})
	}
}

// TestWordOrder pins the layout hash banks index: word 0 holds the first 16
// hexadecimal digits, most significant first.
func TestWordOrder(t *testing.T) {
	h, err := ParseHash("0000000000000001000000000000000200000000000000030000000000000004")
	if err != nil || h != (Hash{1, 2, 3, 4}) {
		t.Fatalf("parsed as %v, %v; want words 1, 2, 3, 4", h, err)
	}
	if h, _ := ParseHash(strings.Repeat("F", 64)); h != (Hash{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}) {
		t.Errorf("all ones parsed as %#v", h)
	}
}

func TestBitOrder(t *testing.T) {
	// The reference prints 16-bit words from the last (coefficients of row
	// 15) to the first, each most significant bit first.
	tests := []struct {
		bit  int
		want string
	}{
		{0, strings.Repeat("0", 63) + "1"},
		{3, strings.Repeat("0", 63) + "8"},
		{4, strings.Repeat("0", 62) + "10"},
		{16, strings.Repeat("0", 59) + "10000"},
		{255, "8" + strings.Repeat("0", 63)},
	}
	for _, tc := range tests {
		var h Hash
		h.setBit(tc.bit)
		if h.String() != tc.want {
			t.Errorf("bit %d: %s, want %s", tc.bit, h, tc.want)
		}
		if !h.Bit(tc.bit) || h.OnesCount() != 1 {
			t.Errorf("bit %d: Bit or OnesCount wrong for %s", tc.bit, h)
		}
	}
}

func TestDistance(t *testing.T) {
	a, _ := ParseHash(strings.Repeat("0", 64))
	b, _ := ParseHash(strings.Repeat("f", 64))
	c, _ := ParseHash("8" + strings.Repeat("0", 62) + "3")
	tests := []struct {
		name string
		x, y Hash
		want int
	}{
		{"same", b, b, 0},
		{"opposite", a, b, 256},
		{"three bits", a, c, 3},
		{"symmetric", c, a, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.x.Distance(tc.y); got != tc.want {
				t.Errorf("Distance = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestTextMarshalling(t *testing.T) {
	const s = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"
	var h Hash
	if err := h.UnmarshalText([]byte(s)); err != nil {
		t.Fatal(err)
	}
	out, err := h.MarshalText()
	if err != nil || string(out) != s {
		t.Errorf("MarshalText = %q, %v; want %q", out, err, s)
	}
	if err := h.UnmarshalText([]byte("xyz")); !errors.Is(err, ErrBadHash) {
		t.Errorf("UnmarshalText(xyz) error %v, want ErrBadHash", err)
	}
}

func FuzzParseHash(f *testing.F) {
	f.Add("d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22")
	f.Add("D8F8F0CEE0F4A84F0637022A078F67F0B36E2ED596621E1D33E6339C4E9C9B22")
	f.Add("")
	f.Add(strings.Repeat("z", 64))
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHash(s)
		if err != nil {
			if !errors.Is(err, ErrBadHash) {
				t.Fatalf("error %v does not wrap ErrBadHash", err)
			}
			return
		}
		if !strings.EqualFold(h.String(), s) {
			t.Fatalf("ParseHash(%q).String() = %q", s, h)
		}
		if h.Distance(h) != 0 {
			t.Fatal("distance to itself is not 0")
		}
	})
}
