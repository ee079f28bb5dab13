package account

import (
	"testing"
	"unicode/utf8"
)

func TestSkeleton(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"abu_muhammad_2", "bmhmd"},
		{"abumuhammad22", "bmhmd"},
		{"abu.muhammad", "bmhmd"},
		{"Abuu__Muhammmad", "bmhmd"},
		{"ابو_محمد", "bmhmd"}, // hand-made
		{"mohammed_ali", "mhmdl"},
		{"محمد علي", "mhmdl"}, // hand-made
		{"khalid", "hld"},
		{"خالد", "hld"}, // hand-made
		{"abdullah", "bdlh"},
		{"عبدالله", "bdlh"}, // hand-made
		{"2024_", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := Skeleton(tc.in); got != tc.want {
				t.Errorf("Skeleton(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestHandleSimilarity(t *testing.T) {
	for _, tc := range []struct {
		a, b     string
		min, max float64
	}{
		{"abu_muhammad_2", "abumuhammad22", 1, 1},
		{"abu_muhammad", "ابو_محمد", 0.9, 0.9},
		{"abu_muhammad_shami", "abu_muhammad_iraqi", 0.4, 0.8},
		{"abu_muhammad", "umm_khalid", 0, 0.4},
		{"", "x", 0, 0},
	} {
		t.Run(tc.a+"~"+tc.b, func(t *testing.T) {
			if got := HandleSimilarity(tc.a, tc.b); got < tc.min || got > tc.max {
				t.Errorf("HandleSimilarity = %.3f, want in [%.2f, %.2f]", got, tc.min, tc.max)
			}
		})
	}
}

func TestCanonLink(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://www.Example.org/a/", "example.org/a"},
		{"t.me/+AbCd", "t.me/+AbCd"},
		{"http://t.me/joinchat/XyZ?x=1", "t.me/joinchat/XyZ?x=1"},
		{"::", ""},
	} {
		if got := CanonLink(tc.in); got != tc.want {
			t.Errorf("CanonLink(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzFold checks that folding any handle, name or link read from outside
// data never panics and gives ASCII skeletons.
func FuzzFold(f *testing.F) {
	for _, s := range []string{"abu_muhammad_2", "ابو_محمد", "https://t.me/+x", "\xff\xfe", "ﷺ", "kh_sh_th"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sk := Skeleton(s)
		for i := range len(sk) {
			if sk[i] < 'a' || sk[i] > 'z' {
				t.Fatalf("skeleton %q of %q is not lower-case ASCII", sk, s)
			}
		}
		if l := Loose(s); !utf8.ValidString(l) && utf8.ValidString(s) {
			t.Fatalf("loose form %q of valid %q is invalid", l, s)
		}
		HandleSimilarity(s, sk)
		CanonLink(s)
		LinkTarget(s)
	})
}
