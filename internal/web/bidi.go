package web

import (
	"bytes"
	"unicode/utf8"
)

// Bidi embedding, override and isolate controls (Unicode UAX #9).
const (
	lre, rle, pdfCtl, lro, rlo = '\u202a', '\u202b', '\u202c', '\u202d', '\u202e'
	lri, rli, fsi, pdiCtl      = '\u2066', '\u2067', '\u2068', '\u2069'
)

// balanceBidi closes, at the end of every text node and attribute value of
// a rendered page, the bidi embeddings, overrides and isolates that user
// text opened, and drops the closers it has without an opener. Templates
// isolate user strings with <bdi> or dir="auto"; this makes sure no RLO in
// a post, a name or a file path outlives its string to reorder what the
// page says around it, whatever element holds it. The marks (LRM, RLM,
// ALM) open nothing and pass unchanged.
//
// The page is cut at angle brackets and quote marks: html/template escapes
// them all inside user text, so they appear raw only in markup.
func balanceBidi(page []byte) []byte {
	if !hasBidiControl(page) {
		return page
	}
	out := make([]byte, 0, len(page)+64)
	var open []rune
	closeAll := func() {
		for i := len(open) - 1; i >= 0; i-- {
			out = utf8.AppendRune(out, closer(open[i]))
		}
		open = open[:0]
	}
	for i := 0; i < len(page); {
		r, n := utf8.DecodeRune(page[i:])
		switch r {
		case '<', '>', '"', '\'':
			closeAll()
		case lre, rle, lro, rlo, lri, rli, fsi:
			open = append(open, r)
		case pdfCtl:
			// A PDF closes the innermost embedding, never past an isolate.
			if len(open) == 0 || closer(open[len(open)-1]) != pdfCtl {
				i += n
				continue
			}
			open = open[:len(open)-1]
		case pdiCtl:
			// A PDI closes the innermost isolate and what opened inside it.
			k := len(open) - 1
			for k >= 0 && closer(open[k]) != pdiCtl {
				k--
			}
			if k < 0 {
				i += n
				continue
			}
			for j := len(open) - 1; j > k; j-- {
				out = utf8.AppendRune(out, pdfCtl)
			}
			open = open[:k]
		}
		out = append(out, page[i:i+n]...)
		i += n
	}
	closeAll()
	return out
}

// closer is the control that ends what opener started.
func closer(opener rune) rune {
	if opener >= lri {
		return pdiCtl
	}
	return pdfCtl
}

// hasBidiControl says whether b holds an embedding, override or isolate
// control (all are three bytes in UTF-8, starting 0xE2 0x80 or 0xE2 0x81).
func hasBidiControl(b []byte) bool {
	for {
		i := bytes.IndexByte(b, 0xe2)
		if i < 0 || i+2 >= len(b) {
			return false
		}
		if r, _ := utf8.DecodeRune(b[i:]); (r >= lre && r <= rlo) || (r >= lri && r <= pdiCtl) {
			return true
		}
		b = b[i+1:]
	}
}

// isolate wraps user text in FIRST STRONG ISOLATE ... POP DIRECTIONAL
// ISOLATE for places where markup cannot isolate it, such as <title>.
func isolate(s string) string { return string(fsi) + s + string(pdiCtl) }
