package classifier

import (
	"unicode"
	"unicode/utf8"
)

// Feature kinds, mixed into every hash so that the word "x" and the
// character n-gram "x" land in different buckets. Text inside quotation
// marks gets its own namespace: a newspaper quoting "الدولة الإسلامية" is
// not a supporter naming it, and the model must be able to tell.
const (
	kindWord    = 'w'
	kindBigram  = 'b'
	kindChar    = 'c'
	quotedShift = 0x80

	minCharN = 3
	maxCharN = 5
	// maxWordRunes bounds the per-word rune offset table held in Scratch;
	// longer "words" (URLs, spam runs) only yield n-grams from their start.
	maxWordRunes = 48
)

const (
	fnvOffset32 = 2166136261
	fnvPrime32  = 16777619
)

// feature is one hashed feature occurrence and the bytes of the normalized
// text it came from, so that an explanation can quote it.
type feature struct {
	hash       uint32
	start, end int32
}

// extract appends every hashed feature occurrence of norm to s.feats. It
// allocates only when s.feats has to grow, which stops after the first few
// posts of a worker.
func extract(norm []byte, seed uint32, s *Scratch) {
	// A local slice, stored back once: appends through s would write the
	// slice header to memory every time.
	feats := s.feats[:0]
	s.quoted, s.bar = false, false
	var (
		prevHash  uint32
		prevStart int
		havePrev  bool
		quoted    bool
	)
	i := 0
	for i < len(norm) {
		r, size := rune(norm[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(norm[i:])
		}
		if !isWordRune(r) {
			if q := quoteToggle(r, quoted); q != quoted {
				quoted = q
				havePrev = false
			} else if r == '|' {
				s.bar = true
				havePrev = false
			} else if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
				// Punctuation ends a phrase: bigrams do not cross it.
				havePrev = false
			}
			i += size
			continue
		}
		// A word: collect rune offsets for the character n-grams; runeOff
		// holds one more entry than runes so that runeOff[n] ends rune n-1.
		start := i
		end, nr := scanWord(norm, i, &s.runeOff)
		i = end
		ns := uint32(0)
		if quoted {
			ns = quotedShift
			s.quoted = true
		}
		wh := hashBytes(seed^(kindWord|ns), norm[start:end])
		feats = append(feats, feature{wh, int32(start), int32(end)})
		if havePrev {
			bh := mix(seed^(kindBigram|ns), prevHash, wh)
			feats = append(feats, feature{bh, int32(prevStart), int32(end)})
		}
		prevHash, prevStart, havePrev = wh, start, true
		for a := 0; a+minCharN <= nr; a++ {
			h := uint32(fnvOffset32) ^ (seed ^ (kindChar | ns))
			for n := 1; n <= maxCharN && a+n <= nr; n++ {
				if r := norm[s.runeOff[a+n-1]:s.runeOff[a+n]]; len(r) == 2 {
					// An Arabic letter, unrolled.
					h = (h ^ uint32(r[0])) * fnvPrime32
					h = (h ^ uint32(r[1])) * fnvPrime32
				} else {
					for _, c := range r {
						h ^= uint32(c)
						h *= fnvPrime32
					}
				}
				if n >= minCharN {
					// Attributed to the whole word: an analyst reads words,
					// not the n-grams inside them.
					feats = append(feats, feature{h, int32(start), int32(end)})
				}
			}
		}
	}
	s.feats = feats
}

// scanWord returns the end of the word that starts at i and its number of
// runes, at most maxWordRunes, and writes their offsets to off. Arabic
// letters, two bytes each and most of the text, are decoded and classified
// without a call.
func scanWord(norm []byte, i int, off *[maxWordRunes + 1]int32) (end, nr int) {
	for i < len(norm) {
		r, size := rune(norm[i]), 1
		switch {
		case r < utf8.RuneSelf:
		case r >= 0xc2 && r < 0xe0 && i+1 < len(norm) && norm[i+1]&0xc0 == 0x80:
			r, size = (r&0x1f)<<6|rune(norm[i+1]&0x3f), 2
		default:
			r, size = utf8.DecodeRune(norm[i:])
		}
		if (r < 0x0621 || r > 0x064a) && !isWordRune(r) {
			break
		}
		if nr <= maxWordRunes {
			off[nr] = int32(i)
			nr++
		}
		i += size
	}
	if nr <= maxWordRunes {
		off[nr] = int32(i)
	} else {
		nr = maxWordRunes
	}
	return i, nr
}

// quoteToggle returns the quotation state after the rune r. Straight quotes
// toggle; typographic and guillemet pairs open and close.
func quoteToggle(r rune, quoted bool) bool {
	switch r {
	case '"', '\'':
		return !quoted
	case '«', '“', '‘', '„':
		return true
	case '»', '”', '’':
		return false
	}
	return quoted
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z'
	}
	if r >= 0x0621 && r <= 0x064A { // the Arabic letters, most of the text
		return true
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func hashBytes(seed uint32, b []byte) uint32 {
	h := uint32(fnvOffset32) ^ seed
	for _, c := range b {
		h ^= uint32(c)
		h *= fnvPrime32
	}
	return h
}

// mix combines two word hashes into a bigram hash (FNV-1a over their bytes).
func mix(seed, a, b uint32) uint32 {
	h := uint32(fnvOffset32) ^ seed
	for _, v := range [2]uint32{a, b} {
		for k := 0; k < 4; k++ {
			h ^= v & 0xff
			h *= fnvPrime32
			v >>= 8
		}
	}
	return h
}
