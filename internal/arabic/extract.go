package arabic

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Entities are the links, mentions and hashtags of a text, as written in the
// original (not normalized) text, each listed once in order of first
// appearance.
type Entities struct {
	// URLs start with http://, https://, www., t.me/ or telegram.me/ and are
	// kept as written, without the punctuation that ends the sentence
	// around them.
	URLs []string
	// Mentions are @handles without the '@': letters, digits and '_', with
	// single '.' or '-' inside (Rocket.Chat handles have them). An '@' glued
	// to a word (an e-mail address) is no mention.
	Mentions []string
	// Hashtags are #tags without the '#': letters of any script, digits,
	// marks, '_' and zero-width (non-)joiners inside, with at least one
	// letter. A '#' glued to a word, or of an HTML entity ("&#39;"), is no
	// hashtag.
	Hashtags []string
}

// Links open with a scheme or with a well-known bare prefix; both are matched
// case-insensitively.
var (
	schemeURLPrefixes = []string{"https://", "http://"}
	bareURLPrefixes   = []string{"www.", "t.me/", "telegram.me/"}
)

// Extract finds the URLs, @mentions and #hashtags of s.
func Extract(s string) Entities {
	var e Entities
	prev := rune(-1) // the rune before i; -1 at the start
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var list *[]string
		start, n := i, 0
		switch {
		case r == '@' && !isWordRune(prev):
			list, start = &e.Mentions, i+1
			n = mentionLen(s[start:])
		case r == '#' && !isWordRune(prev) && prev != '&':
			list, start = &e.Hashtags, i+1
			n = hashtagLen(s[start:])
		default:
			list, n = &e.URLs, urlLen(s[i:], prev)
		}
		if n == 0 {
			prev = r
			i += size
			continue
		}
		*list = appendOnce(*list, s[start:start+n])
		i = start + n
		prev, _ = utf8.DecodeLastRuneInString(s[:i])
	}
	return e
}

// urlLen returns the length of the link at the start of s, or 0. prev is
// the rune before s: a scheme may be glued to a word (spam often writes
// "انضمواhttps://..."), a bare "www." or "t.me/" may not.
func urlLen(s string, prev rune) int {
	prefix := hasPrefixFold(s, schemeURLPrefixes)
	if prefix == 0 && !isWordRune(prev) {
		prefix = hasPrefixFold(s, bareURLPrefixes)
	}
	if prefix == 0 {
		return 0
	}
	n := prefix
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if endsURL(r) {
			break
		}
		n += size
	}
	n = trimURLTail(s[:n])
	if n <= prefix {
		return 0
	}
	return n
}

// hasPrefixFold returns the length of the first of prefixes that s starts
// with, ignoring case, or 0.
func hasPrefixFold(s string, prefixes []string) int {
	for _, p := range prefixes {
		// every prefix starts with an ASCII letter: compare it before
		// EqualFold, which is slow on the mismatching Arabic it mostly sees
		if len(s) >= len(p) && s[0]|0x20 == p[0] && strings.EqualFold(s[:len(p)], p) {
			return len(p)
		}
	}
	return 0
}

// endsURL reports runes that cannot be part of a link as people write one.
func endsURL(r rune) bool {
	switch r {
	case '<', '>', '"', '«', '»', '“', '”', '‘', '’', '`', '|', '\\', '^', '{', '}', utf8.RuneError:
		return true
	}
	return unicode.IsSpace(r) || unicode.IsControl(r) || isInvisible(r)
}

// trimURLTail returns the length of u without the sentence punctuation that
// follows a link; a closing bracket stays when the link opened one
// (Wikipedia titles).
func trimURLTail(u string) int {
	// unclosed counts are kept up to date while trimming, so that a link
	// followed by a long run of brackets costs linear time
	parens := strings.Count(u, "(") - strings.Count(u, ")")
	squares := strings.Count(u, "[") - strings.Count(u, "]")
	for len(u) > 0 {
		r, size := utf8.DecodeLastRuneInString(u)
		switch r {
		case '.', ',', ';', ':', '!', '?', '\'', '*', '،', '؛', '؟', '…':
		case ')':
			if parens >= 0 {
				return len(u)
			}
			parens++
		case ']':
			if squares >= 0 {
				return len(u)
			}
			squares++
		default:
			return len(u)
		}
		u = u[:len(u)-size]
	}
	return 0
}

// mentionLen returns the length of the handle at the start of s, or 0.
func mentionLen(s string) int {
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if isWordRune(r) {
			n += size
			continue
		}
		if (r == '.' || r == '-') && n > 0 {
			if next, _ := utf8.DecodeRuneInString(s[n+size:]); isWordRune(next) {
				n += size
				continue
			}
		}
		break
	}
	return n
}

// hashtagLen returns the length of the tag at the start of s, or 0 when
// there is none.
func hashtagLen(s string) int {
	n, letters := 0, 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		switch {
		case unicode.IsLetter(r):
			letters++
		case isWordRune(r), unicode.Is(unicode.Mn, r), unicode.Is(unicode.Mc, r):
		case (r == '\u200c' || r == '\u200d') && n > 0:
			// joiners are part of Persian and Urdu words, but only
			// between word characters
			if next, _ := utf8.DecodeRuneInString(s[n+size:]); !isWordRune(next) {
				return tagIfLetters(n, letters)
			}
		default:
			return tagIfLetters(n, letters)
		}
		n += size
	}
	return tagIfLetters(n, letters)
}

func tagIfLetters(n, letters int) int {
	if letters == 0 {
		return 0
	}
	return n
}

// isWordRune reports letters, digits and '_': what handles and tags are made
// of, and what must not precede their sigil.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// HashtagWords returns the normalized words of a hashtag, written with or
// without its '#': "#الدولة_الإسلامية" gives "الدوله الاسلاميه". Latin
// camel case is split too: "#IslamicState" gives "islamic state".
func HashtagWords(tag string) string {
	tag = strings.TrimLeft(tag, "#")
	return string(appendNormalize(make([]byte, 0, len(tag)+8), tag, true))
}
