package lexicon

import (
	"bytes"
	"unicode/utf8"
)

// maxQuote bounds how far a closing quotation mark is looked for. Normalized
// text has no line breaks left, so an unmatched opening mark must not turn
// the rest of a long article into a quotation.
const maxQuote = 1200

// quotes finds quotation regions lazily, left to right, as Match needs them.
// The current region is [start, end); start < 0 means none has been looked
// for yet, and start == len(text)+1 means there are no more.
type quotes struct {
	text       []byte
	start, end int
}

// contains reports whether [s, e) lies inside a quotation. Calls must come
// in non-decreasing e, as Match's hits do.
func (q *quotes) contains(s, e int) bool {
	if q.start < 0 {
		q.start, q.end = nextQuote(q.text, 0)
	}
	for q.end < e && q.start <= len(q.text) {
		q.start, q.end = nextQuote(q.text, q.end)
	}
	return q.start <= s && e <= q.end
}

// nextQuote returns the first quotation region at or after from: from its
// opening mark to its closing mark inclusive.
func nextQuote(t []byte, from int) (int, int) {
	for i := from; i < len(t); {
		if i = nextMarkByte(t, i); i == len(t) {
			break
		}
		r, size := utf8.DecodeRune(t[i:])
		if closers := quoteClosers(r); closers != "" && (r != '\'' || i == 0 || !isWordRune(lastRune(t[:i]))) {
			if end := findCloser(t, i+size, closers, r == '\''); end > 0 {
				return i, end
			}
		}
		i += size
	}
	return len(t) + 1, len(t) + 1
}

// markBytes are the bytes a quotation mark starts with: it is ASCII or
// starts with 0xC2 («) or 0xE2 (“ ” „ ‘).
var markBytes = [...]byte{'"', '\'', 0xc2, 0xe2}

// nextMarkByte returns the offset of the first byte at or after i that may
// start a quotation mark, or len(t). Most posts have none: a vectorized
// search per byte value skips the text faster than testing each byte.
func nextMarkByte(t []byte, i int) int {
	end := len(t)
	for _, b := range markBytes {
		if k := bytes.IndexByte(t[i:end], b); k >= 0 {
			end = i + k
		}
	}
	return end
}

// quoteClosers returns the marks that may close a quotation opened by r.
// Arabic text mixes conventions freely (“…”, ”…”, "…", «…»), so closers
// are lenient.
func quoteClosers(r rune) string {
	switch r {
	case '"':
		return "\"”“"
	case '“':
		return "”“\""
	case '”':
		return "”\""
	case '„':
		return "“”"
	case '«':
		return "»"
	case '‘':
		return "’‘"
	case '\'':
		return "'’"
	}
	return ""
}

// findCloser returns the offset after the first closer at or after i, or 0.
// A straight apostrophe closes only at a word end, so that "ISIS's" is not
// read as a quotation.
func findCloser(t []byte, i int, closers string, apostrophe bool) int {
	limit := min(len(t), i+maxQuote)
	for j := i; j < limit; {
		r, size := utf8.DecodeRune(t[j:])
		if containsRune(closers, r) && j > i {
			if !apostrophe || j+size == len(t) || !isWordRune(firstRune(t[j+size:])) {
				return j + size
			}
		}
		j += size
	}
	return 0
}

func containsRune(s string, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}

func lastRune(b []byte) rune {
	r, _ := utf8.DecodeLastRune(b)
	return r
}
