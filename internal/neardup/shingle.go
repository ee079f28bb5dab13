// Package neardup finds recycled texts: re-posts of the same propaganda
// message with hashtags, emoji, punctuation or a few words changed. Texts
// become MinHash signatures of their shingles; LSH banding finds candidates
// and the signatures verify them; a union-find groups the recycled texts.
// The index holds the newest texts only and bounds the work of a query, so
// that its cost stays flat when a campaign recycles the same words for ever.
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

// tokens is a text as the shingler reads it: its words, lower-cased and
// joined by single spaces, as UTF-8 bytes and as runes, with the byte
// offsets where each word starts and ends.
type tokens struct {
	b     []byte
	r     []rune
	words []int32 // start, end of each word in b
}

// tokenize splits text into lower-case words of letters and digits. '#',
// '_', punctuation, symbols and emoji separate words; combining marks
// (harakat, variation selectors), format characters (ZWJ, direction marks)
// and the tatweel are dropped, so "#دولة_الخلافة 🔥" and "دولة الخلافة"
// agree. It appends to t's buffers and returns t: passed by value, buffers
// a caller keeps on its stack stay there.
func tokenize(text string, t tokens) tokens {
	in := false
	for _, r := range text {
		switch {
		case r == 'ـ' || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Cf, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if !in {
				if len(t.words) > 0 {
					t.b, t.r = append(t.b, ' '), append(t.r, ' ')
				}
				t.words = append(t.words, int32(len(t.b)))
				in = true
			}
			lr := unicode.ToLower(r)
			t.b, t.r = utf8.AppendRune(t.b, lr), append(t.r, lr)
		case in:
			t.words = append(t.words, int32(len(t.b)))
			in = false
		}
	}
	if in {
		t.words = append(t.words, int32(len(t.b)))
	}
	return t
}

// word returns word i of t.
func (t *tokens) word(i int) []byte { return t.b[t.words[2*i]:t.words[2*i+1]] }

// FNV-1a, inlined so that shingles hash without allocating.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvBytes(h uint64, s []byte) uint64 {
	for _, c := range s {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}

// shingles returns the 64-bit hashes of the text's shingles, duplicates
// included (MinHash does not mind them). It allocates only for texts longer
// than a long post.
func shingles(text string, out []uint64) []uint64 {
	var (
		bb [1024]byte
		rb [512]rune
		wb [256]int32
	)
	t := tokenize(text, tokens{b: bb[:0], r: rb[:0], words: wb[:0]})
	n := len(t.words) / 2
	for i := 0; i+1 < n; i++ {
		h := fnvBytes(fnvOffset^'w', t.word(i))
		h = (h ^ ' ') * fnvPrime
		out = append(out, fnvBytes(h, t.word(i+1)))
	}
	// Character grams over "w1 w2 w3", as runes.
	if len(t.r) > 0 && len(t.r) < charGram {
		return append(out, fnvBytes(fnvOffset^'c', t.b))
	}
	for i := 0; i+charGram <= len(t.r); i++ {
		h := uint64(fnvOffset ^ 'c')
		for _, r := range t.r[i : i+charGram] {
			h = (h ^ uint64(r)) * fnvPrime
		}
		out = append(out, h)
	}
	return out
}
