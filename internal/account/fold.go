package account

import (
	"strings"
	"unicode"
)

// Skeleton folds a handle or a name to the consonant skeleton that survives
// the ways people re-create an account: case, digits, underscores, dots and
// dashes are dropped, repeated letters collapse, Latin digraphs meet their
// Arabic letters (kh, sh, th, dh, gh), and vowels are dropped in both
// scripts because transliteration mostly disagrees on vowels (muhammad,
// mohammed, محمد all give "mhmd"; abu_muhammad_2, abumuhammad22 and
// ابو_محمد all give "bmhmd"). W and Y count as vowels since و and ي are
// mostly long vowels.
func Skeleton(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	var last byte
	emit := func(c byte) {
		if c != 0 && c != last {
			b.WriteByte(c)
			last = c
		}
	}
	rs := []rune(strings.ToLower(s))
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r < 0x80 {
			if r < 'a' || r > 'z' {
				continue
			}
			next := rune(0)
			if i+1 < len(rs) {
				next = rs[i+1]
			}
			if next == 'h' {
				if c, ok := digraphs[r]; ok {
					emit(c)
					i++
					continue
				}
			}
			emit(latinSkeleton[r-'a'])
			continue
		}
		if c, ok := arabicSkeleton[r]; ok {
			emit(c)
		}
	}
	return b.String()
}

// digraphs are Latin spellings of one Arabic letter.
var digraphs = map[rune]byte{'k': 'h', 's': 's', 't': 't', 'd': 'd', 'g': 'g', 'p': 'f', 'z': 'd'}

// latinSkeleton maps a..z; 0 drops the letter.
var latinSkeleton = [26]byte{
	0, 'b', 'k', 'd', 0, 'f', 'g', 'h', 0, 'j', 'k', 'l', 'm', 'n', 0, 'b', 'k', 'r', 's', 't', 0, 'f', 0, 'k', 0, 'z',
}

// arabicSkeleton maps Arabic letters to the skeleton letters of their usual
// Latin spellings; letters absent (alifs, hamzas, ain, waw, ya) are vowels
// or are dropped by transliterations.
var arabicSkeleton = map[rune]byte{
	'ب': 'b', 'ت': 't', 'ط': 't', 'ث': 't', 'ج': 'j', 'ح': 'h', 'خ': 'h', 'ه': 'h', 'ة': 'h',
	'د': 'd', 'ض': 'd', 'ذ': 'd', 'ظ': 'd', 'ر': 'r', 'ز': 'z', 'س': 's', 'ص': 's', 'ش': 's',
	'غ': 'g', 'ف': 'f', 'ق': 'k', 'ك': 'k', 'ل': 'l', 'م': 'm', 'ن': 'n', 'پ': 'b', 'گ': 'g', 'چ': 'j', 'ڤ': 'f',
}

// Loose folds a handle to its letters: lower case, digits and separators
// dropped, repeated letters collapsed. Two handles with the same loose form
// differ only in what re-creations change (abu_muhammad_2, abu.muhammad).
func Loose(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	var last rune
	for _, r := range strings.ToLower(s) {
		if !unicode.IsLetter(r) || r == last {
			continue
		}
		b.WriteRune(r)
		last = r
	}
	return b.String()
}

// grams returns the padded trigrams of a skeleton as integers: skeleton
// letters are ASCII, so a trigram fits in 24 bits.
func grams(sk string, out []uint32) []uint32 {
	out = out[:0]
	if sk == "" {
		return out
	}
	p := "^" + sk + "$"
	for i := 0; i+3 <= len(p); i++ {
		out = append(out, uint32(p[i])<<16|uint32(p[i+1])<<8|uint32(p[i+2]))
	}
	return out
}

// bigramDice is the Dice coefficient of the padded bigram multisets of a
// and b: a similarity of short strings that tolerates one letter changed.
func bigramDice(a, b string) float64 {
	if a == "" || b == "" {
		return 0
	}
	if a == b {
		return 1
	}
	pa, pb := "^"+a+"$", "^"+b+"$"
	counts := make(map[uint16]int, len(pa))
	for i := 0; i+2 <= len(pa); i++ {
		counts[uint16(pa[i])<<8|uint16(pa[i+1])]++
	}
	common := 0
	for i := 0; i+2 <= len(pb); i++ {
		k := uint16(pb[i])<<8 | uint16(pb[i+1])
		if counts[k] > 0 {
			counts[k]--
			common++
		}
	}
	return 2 * float64(common) / float64(len(pa)-1+len(pb)-1)
}

// HandleSimilarity scores two handles from 0 to 1: 1 when they differ only
// in digits, separators and repeated letters, less for transliterations
// and near spellings, measured on the skeletons.
func HandleSimilarity(a, b string) float64 {
	la, lb := Loose(a), Loose(b)
	if la != "" && la == lb {
		return 1
	}
	sa, sb := Skeleton(a), Skeleton(b)
	if len(sa) < 2 || len(sb) < 2 {
		return 0
	}
	if sa == sb {
		return 0.9
	}
	return 0.85 * bigramDice(sa, sb)
}
