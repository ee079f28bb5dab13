package arabic

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Language codes returned by Language.
const (
	LangArabic    = "ar"
	LangEnglish   = "en"
	LangUndefined = "und"
)

// minLetters is the fewest letters on which Language decides; below it a
// post is a link, a number or an emoji and has no language to speak of.
const minLetters = 3

// Language tells Arabic from English text by counting letters, ignoring
// URLs, @mentions and digits. It returns "ar" when Arabic-script letters
// dominate, unless Persian/Urdu letter forms (ک ی) outnumber the Arabic ones
// (ك ي), which marks Persian or Urdu; "en" when Latin letters dominate and
// English words (function words and frequent news words) outnumber the
// function words of other Latin-script languages and words with accented
// letters; "und" otherwise, including when there are fewer than three
// letters. It does not allocate.
func Language(s string) string {
	var c letterCounts
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if isSpace(r) {
			i += size
			continue
		}
		j := i + size
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if isSpace(r) {
				break
			}
			j += size
		}
		if tok := s[i:j]; tok[0] != '@' && !isURLToken(tok) {
			c.add(tok)
		}
		i = j
	}
	switch {
	case c.arabic+c.latin < minLetters:
		return LangUndefined
	case c.arabic > c.latin:
		if c.persianForms > c.arabicForms {
			return LangUndefined
		}
		return LangArabic
	case c.latin > c.arabic && c.english > c.otherLatin:
		return LangEnglish
	}
	return LangUndefined
}

// letterCounts is the evidence Language weighs.
type letterCounts struct {
	arabic, latin             int // letters by script
	arabicForms, persianForms int // ك ي against ک ی
	english, otherLatin       int // function words; accented words count as other
}

// add counts the letters and Latin words of one whitespace-free token.
func (c *letterCounts) add(tok string) {
	wordStart, accented := -1, false
	for i := 0; i <= len(tok); {
		r, size := rune(-1), 1 // -1 past the end closes the last word
		if i < len(tok) {
			r, size = utf8.DecodeRuneInString(tok[i:])
		}
		latin, accent := latinLetter(r)
		switch {
		case latin || r == '\'' && wordStart >= 0: // don't, it's
			if latin {
				c.latin++
			}
			accented = accented || accent
			if wordStart < 0 {
				wordStart = i
			}
		default:
			if wordStart >= 0 {
				c.word(tok[wordStart:i], accented)
				wordStart, accented = -1, false
			}
			if IsArabicLetter(r) {
				c.arabic++
				switch r {
				case 'ك', 'ي':
					c.arabicForms++
				case 'ک', 'ی':
					c.persianForms++
				}
			}
		}
		i += size
	}
}

// latinLetter reports whether r is a Latin letter, and whether it is one
// outside ASCII (accented, as in most Latin-script languages but English).
func latinLetter(r rune) (latin, accented bool) {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		return true, false
	case r < 0xc0, 0x0600 <= r && r <= 0x06ff:
		// ASCII and Latin-1 symbols, and Arabic: the common cases spared a
		// search of the Latin table
		return false, false
	}
	latin = unicode.Is(unicode.Latin, r)
	return latin, latin
}

// maxFunctionWord is the length of the longest word in the stopword sets.
const maxFunctionWord = 8

// word weighs one Latin word.
func (c *letterCounts) word(w string, accented bool) {
	if accented {
		c.otherLatin++
		return
	}
	if len(w) > maxFunctionWord {
		return
	}
	var buf [maxFunctionWord]byte
	for i := range len(w) {
		buf[i] = w[i] | 0x20 // ASCII letters and '\'' only
	}
	// The map index with a converted byte slice does not allocate.
	switch functionWords[string(buf[:len(w)])] {
	case english:
		c.english++
	case otherLanguage:
		c.otherLatin++
	}
}

type wordLanguage uint8

const (
	english wordLanguage = iota + 1
	otherLanguage
)

// functionWords are frequent short words of one language. English also gets
// a few words shared with other languages ("a", "in", "on") and the words of
// news headlines about conflicts, which often have no function word at all;
// text in another language outweighs them with its own function words and
// accented letters.
var functionWords = func() map[string]wordLanguage {
	m := make(map[string]wordLanguage)
	for _, w := range strings.Fields(`the and of to is are were be been for with that this these those it its
		they their them you your we our he she his her him has have had not will would from what which who
		when where there about can but or if my just do does did after more said says than into over also how
		why because against don't it's i'm a an in on at by so no us i up out now all some one two here
		only like via near today killed attack fighters soldiers army forces police breaking news video`) {
		m[w] = english
	}
	// German, French, Spanish, Italian, Portuguese, Dutch, Turkish,
	// Indonesian/Malay, and Arabic written in Latin letters (Arabizi).
	for _, w := range strings.Fields(`der und ist nicht das ein eine mit auf den dem sich auch von zu ich wir
		sind wird werden le la les et est une des du dans pour pas que qui sur avec il elle nous vous ce cette
		sont au el los las y es en un una del por con se su para como pero lo gli della di che non sono per
		os em um da het een van niet zijn op dat met voor ve bir bu için ile yang dan ini itu dengan
		untuk tidak dari akan adalah wa fi min ala ya ana inta mesh`) {
		m[w] = otherLanguage
	}
	return m
}()

// isSpace is unicode.IsSpace with the Arabic block spared a table search.
func isSpace(r rune) bool {
	if 0x0600 <= r && r <= 0x06ff {
		return false
	}
	return unicode.IsSpace(r)
}

// isURLToken reports a token that is (or contains) a link; its letters are
// no evidence of the post's language.
func isURLToken(tok string) bool {
	if strings.Contains(tok, "://") {
		return true
	}
	return hasPrefixFold(tok, bareURLPrefixes) > 0
}

// IsArabicLetter reports whether r is a letter of the Arabic script,
// including Persian/Urdu letters and presentation forms, but not tatweel,
// digits or marks.
func IsArabicLetter(r rune) bool {
	switch {
	case r < 0x0600:
		return false
	case r <= 0x06ff:
		return arabicLetter[r-0x0600]
	}
	return unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r)
}
