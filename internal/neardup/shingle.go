// Package neardup finds recycled texts: re-posts of the same propaganda
// message with hashtags, emoji, punctuation or a few words changed. Texts
// become MinHash signatures of their shingles; LSH banding finds candidates
// and the signatures verify them; a union-find groups the recycled texts.
//
// Callers pass text normalized by internal/arabic (letter variants, harakat);
// the shingler itself drops what re-posters add or change around the
// message: hashtag marks, underscores, emoji, punctuation, tatweel.
package neardup

import (
	"unicode"
	"unicode/utf8"
)

// Shingles are of two kinds, chosen for tweet-length Arabic text:
//
//   - word 2-shingles keep word order: a re-post that only adds hashtags
//     shares every bigram of the original;
//   - character 4-grams of the space-joined words survive changes inside
//     words (an added conjunction و or article ال, a misspelling) that would
//     break a whole word shingle. Four characters is about the length of an
//     Arabic root with one affix; 5-grams lost too much to such edits.
//
// A text of one word has no bigram; it is signed by its 4-grams (or by the
// word itself when shorter).
const charGram = 4

// words splits text into lower-case words of letters and digits. '#', '_',
// punctuation, symbols and emoji separate words; combining marks (harakat,
// variation selectors), format characters (ZWJ, direction marks) and the
// tatweel are dropped, so "#دولة_الخلافة 🔥" and "دولة الخلافة" agree.
func words(text string) []string {
	var (
		out []string
		buf []byte
	)
	flush := func() {
		if len(buf) > 0 {
			out = append(out, string(buf))
			buf = buf[:0]
		}
	}
	for _, r := range text {
		switch {
		case r == 'ـ' || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Cf, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		default:
			flush()
		}
	}
	flush()
	return out
}

// FNV-1a, inlined so that shingles hash without allocating.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// shingles returns the 64-bit hashes of the text's shingles, duplicates
// included (MinHash does not mind them).
func shingles(text string, out []uint64) []uint64 {
	ws := words(text)
	for i := 0; i+1 < len(ws); i++ {
		h := fnvString(fnvOffset^'w', ws[i])
		h = (h ^ ' ') * fnvPrime
		out = append(out, fnvString(h, ws[i+1]))
	}
	// Character grams over "w1 w2 w3", as runes.
	var runes []rune
	for i, w := range ws {
		if i > 0 {
			runes = append(runes, ' ')
		}
		runes = append(runes, []rune(w)...)
	}
	if len(runes) > 0 && len(runes) < charGram {
		return append(out, fnvString(fnvOffset^'c', string(runes)))
	}
	for i := 0; i+charGram <= len(runes); i++ {
		h := uint64(fnvOffset ^ 'c')
		for _, r := range runes[i : i+charGram] {
			h = (h ^ uint64(r)) * fnvPrime
		}
		out = append(out, h)
	}
	return out
}
