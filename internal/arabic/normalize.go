// Package arabic normalizes Arabic (and mixed Arabic/Latin) text for search
// and detection, extracts URLs, mentions and hashtags from the original text,
// and tells Arabic from English.
//
// # Normalization policy
//
// Normalize folds the spelling variation of real posts so that one lexicon
// entry finds every way of writing a word. In order of application, per rune:
//
//   - Invalid UTF-8 bytes become U+FFFD, so the output is always valid UTF-8.
//   - Arabic presentation forms (U+FB50–U+FDFF, U+FE70–U+FEFF) are replaced by
//     their compatibility decomposition, then folded like ordinary letters:
//     the lam-alef ligature "ﻻ" becomes "لا", "ﷲ" becomes "الله". Isolated
//     forms of diacritics (U+FE70–U+FE7F) are removed like the diacritics.
//   - Tashkeel and Quranic marks are removed: U+0610–U+061A, U+064B–U+065F
//     (including the combining hamza above and below), U+0670 (superscript
//     alef), U+06D6–U+06ED and U+08D3–U+08FF. So is tatweel U+0640.
//   - Letter variants are unified: أ إ آ ٱ (and the rarer wavy/high hamza
//     alefs U+0672, U+0673, U+0675) → ا; ى → ي; ة → ه; ؤ → و; ئ → ي;
//     Persian/Urdu ک → ك, ی → ي, ۀ → ه. The lone hamza ء is kept.
//   - Arabic-Indic ٠–٩ and Extended (Persian) ۰–۹ digits become ASCII digits.
//   - Bidi controls and invisible characters are removed: U+00AD, U+061C,
//     U+180E, U+200B–U+200F, U+202A–U+202E, U+2060–U+2064, U+2066–U+2069,
//     U+FEFF, and C0/C1 control characters other than whitespace.
//   - Letters of cased scripts (Latin, and with them Greek and Cyrillic) are
//     lower-cased.
//   - Whitespace runs become one ASCII space; the result is trimmed.
//   - Hashtags lose their '#', and '_' inside a hashtag becomes a space, so
//     "#الدولة_الإسلامية" reads "الدولة الإسلامية". Inside a hashtag an
//     upper-case letter after a letter starts a new word: "#IslamicState"
//     reads "islamic state". A hashtag is a run of '#' that follows no
//     letter, digit, mark or '_' and is followed by a letter. Outside
//     hashtags '_' and '#' are kept.
//   - Everything else is kept as is: punctuation (quotation marks carry
//     stance: news quotes the group's own names), Arabic punctuation ، ؛ ؟,
//     emoji and symbols.
//
// Normalize is idempotent: Normalize(Normalize(s)) == Normalize(s).
package arabic

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns the search/detection form of s (see the package doc).
func Normalize(s string) string {
	// Normalized text is rarely longer than its source: removals and
	// two-byte-to-one-byte digit folds outweigh the few expanding ligatures.
	return string(AppendNormalize(make([]byte, 0, len(s)), s))
}

// AppendNormalize appends the normalized form of s to dst and returns the
// extended slice. It does not allocate when dst has enough capacity, so that
// the detection hot path can reuse one buffer across posts.
func AppendNormalize(dst []byte, s string) []byte {
	return appendNormalize(dst, s, false)
}

// appendNormalize is AppendNormalize, optionally starting inside a hashtag
// (for HashtagWords, whose tag comes without its '#').
func appendNormalize(dst []byte, s string, inTag bool) []byte {
	n := normalizer{dst: dst, start: len(dst), hashStart: -1, inTag: inTag}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			n.emitASCII(c)
			continue
		}
		if c >= 0xc2 && c < 0xe0 && i+1 < len(s) && s[i+1]&0xc0 == 0x80 {
			// A two-byte rune, as every Arabic letter is, decoded without a
			// call; presentation forms take three bytes.
			r := rune(c&0x1f)<<6 | rune(s[i+1]&0x3f)
			i += 2
			if 0x0600 <= r && r <= 0x06ff {
				if f := arabicFoldLetter[r-0x0600]; f != 0 {
					// Most runes of a post, without emitFolded's tests;
					// inside a word, where word would change nothing but
					// the text and afterLetter, without a call.
					if n.prev == prevWord && !n.pendingSpace {
						n.afterLetter = true
						n.dst = append(n.dst, 0xc0|byte(f>>6), 0x80|byte(f&0x3f))
						continue
					}
					n.word(f, true)
					continue
				}
			}
			n.emitFolded(r)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size == 1 {
			n.emit(utf8.RuneError)
			continue
		}
		if d, ok := presentationForm(r); ok {
			for _, dr := range d {
				n.emitFolded(dr)
			}
			continue
		}
		n.emitFolded(r)
	}
	return n.dst
}

// prevKind classifies the last rune written, which decides whether a '#'
// opens a hashtag.
type prevKind uint8

const (
	prevOther   prevKind = iota // start of text, space, punctuation, symbol
	prevWord                    // letter, digit, mark or '_'
	prevHashTag                 // a '#' run that may open a hashtag
	prevHashLit                 // a '#' run glued to a word: kept literally
)

// normalizer is the state of one AppendNormalize call. It lives on the stack.
type normalizer struct {
	dst          []byte
	start        int  // len(dst) on entry; nothing before it is ours
	hashStart    int  // offset of the pending '#' run, or -1
	pendingSpace bool // a space is owed before the next rune written
	inTag        bool // inside a hashtag: '_' means space
	afterLetter  bool // the last rune written was a letter not upper-case in s
	prev         prevKind
}

// emitASCII is the fast path for one ASCII byte of the input.
func (n *normalizer) emitASCII(c byte) {
	switch {
	case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		n.word(rune(c), c >= 'a')
	case 'A' <= c && c <= 'Z':
		n.upper(rune(c + 'a' - 'A'))
	case c == ' ', '\t' <= c && c <= '\r':
		n.space()
	case c < 0x20 || c == 0x7f:
		// control characters are invisible; dropping them keeps words whole
	default:
		n.emit(rune(c))
	}
}

// emitFolded folds one non-ASCII rune of the input (or of a presentation
// form's decomposition) and writes what remains of it.
func (n *normalizer) emitFolded(r rune) {
	if r < utf8.RuneSelf {
		n.emitASCII(byte(r))
		return
	}
	if 0x0600 <= r && r <= 0x06ff {
		switch f := arabicFold[r-0x0600]; {
		case f == 0:
		case arabicFoldLetter[r-0x0600] != 0:
			n.word(f, true) // the common case, spared emit's class tests
		default:
			n.emit(f)
		}
		return
	}
	if isInvisible(r) {
		return
	}
	if unicode.IsSpace(r) {
		n.space()
		return
	}
	if 0x08d3 <= r && r <= 0x08ff {
		return
	}
	if unicode.IsUpper(r) {
		n.upper(unicode.ToLower(r))
		return
	}
	n.emit(r)
}

// emit writes one already folded rune, applying the whitespace and hashtag
// rules.
func (n *normalizer) emit(r rune) {
	switch {
	case r == ' ':
		n.space()
	case r == '#':
		n.hash()
	case r == '_':
		if n.inTag {
			n.space()
			n.inTag = true
			return
		}
		n.word(r, false)
	case r < utf8.RuneSelf:
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			n.word(r, r >= 'a')
			return
		}
		n.other(r)
	case unicode.IsLetter(r):
		n.word(r, true)
	case unicode.IsDigit(r), unicode.Is(unicode.Mn, r), unicode.Is(unicode.Mc, r):
		n.word(r, false)
	default:
		n.other(r)
	}
}

// space owes a space to the next rune written; leading and trailing spaces
// are thereby never written.
func (n *normalizer) space() {
	n.pendingSpace = len(n.dst) > n.start
	n.inTag = false
	n.afterLetter = false
	n.prev = prevOther
	n.hashStart = -1
}

// hash writes a '#' and remembers whether it may open a hashtag.
func (n *normalizer) hash() {
	n.flushSpace()
	switch n.prev {
	case prevHashTag, prevHashLit:
		// a run of '#' shares the fate of its first
	case prevWord:
		n.prev = prevHashLit
	default:
		n.prev = prevHashTag
		n.hashStart = len(n.dst)
	}
	n.inTag = false
	n.dst = append(n.dst, '#')
}

// word writes a letter, digit, mark or '_'. A letter right after a '#' run
// that may open a hashtag removes the run and enters the hashtag.
func (n *normalizer) word(r rune, letter bool) {
	if n.prev == prevHashTag && letter {
		n.dst = n.dst[:n.hashStart]
		n.inTag = true
	}
	n.hashStart = -1
	n.flushSpace()
	n.prev = prevWord
	n.afterLetter = letter
	if 0x80 <= r && r < 0x800 {
		// Arabic letters: two bytes, written without a call.
		n.dst = append(n.dst, 0xc0|byte(r>>6), 0x80|byte(r&0x3f))
		return
	}
	n.dst = utf8.AppendRune(n.dst, r)
}

// upper writes the lower-case form of an upper-case letter. Inside a
// hashtag, an upper-case letter after another letter starts a word:
// "#IslamicState" reads "islamic state".
func (n *normalizer) upper(lower rune) {
	if n.inTag && n.afterLetter {
		n.space()
		n.inTag = true
	}
	n.word(lower, true)
	n.afterLetter = false
}

// other writes punctuation, symbols and emoji; they end a hashtag.
func (n *normalizer) other(r rune) {
	n.flushSpace()
	n.inTag = false
	n.prev = prevOther
	n.hashStart = -1
	n.dst = utf8.AppendRune(n.dst, r)
}

func (n *normalizer) flushSpace() {
	if n.pendingSpace {
		n.dst = append(n.dst, ' ')
		n.pendingSpace = false
	}
}

// isInvisible reports bidi controls, zero-width characters and C1 controls:
// they change how text looks, not what it says, and are used to break up
// words that filters look for.
func isInvisible(r rune) bool {
	switch {
	case r < 0xa0:
		return r >= 0x80 && r != 0x85 // C1 controls; NEL is whitespace
	case r == 0x00ad, r == 0x061c, r == 0x180e, r == 0xfeff:
		return true
	case 0x200b <= r && r <= 0x200f, 0x202a <= r && r <= 0x202e,
		0x2060 <= r && r <= 0x2064, 0x2066 <= r && r <= 0x2069:
		return true
	}
	return false
}

// arabicFold maps each rune of the Arabic block U+0600–U+06FF to its folded
// form; 0 means the rune is removed.
var arabicFold = func() (t [256]rune) {
	for i := range t {
		t[i] = rune(0x0600 + i)
	}
	drop := func(lo, hi rune) {
		for r := lo; r <= hi; r++ {
			t[r-0x0600] = 0
		}
	}
	drop(0x0610, 0x061a) // honorific and Quranic signs above letters
	drop(0x061c, 0x061c) // Arabic letter mark (bidi)
	drop(0x0640, 0x0640) // tatweel
	drop(0x064b, 0x065f) // tashkeel, combining hamza
	drop(0x0670, 0x0670) // superscript alef
	drop(0x06d6, 0x06ed) // Quranic annotation marks
	for r, to := range map[rune]rune{
		'أ': 'ا', 'إ': 'ا', 'آ': 'ا', 'ٱ': 'ا', 0x0672: 'ا', 0x0673: 'ا', 0x0675: 'ا',
		'ى': 'ي', 'ئ': 'ي', 'ی': 'ي',
		'ة': 'ه', 'ۀ': 'ه',
		'ؤ': 'و',
		'ک': 'ك',
	} {
		t[r-0x0600] = to
	}
	for d := range rune(10) {
		t[0x0660+d-0x0600] = '0' + d
		t[0x06f0+d-0x0600] = '0' + d
	}
	return t
}()

// arabicLetter marks the letters of the Arabic block U+0600–U+06FF, tatweel
// excepted, so that the hot paths need not search Unicode tables.
var arabicLetter = func() (t [256]bool) {
	for i := range t {
		r := rune(0x0600 + i)
		t[i] = r != 0x0640 && unicode.IsLetter(r)
	}
	return t
}()

// arabicFoldLetter maps each rune of the Arabic block to its folded form
// when that is an Arabic letter, else to 0.
var arabicFoldLetter = func() (t [256]rune) {
	for i, f := range arabicFold {
		if f >= 0x0600 && f <= 0x06ff && arabicLetter[f-0x0600] {
			t[i] = f
		}
	}
	return t
}()

// Presentation form blocks, decomposed once at start-up.
const (
	presALo, presAHi = 0xfb50, 0xfdff // Arabic Presentation Forms-A
	presBLo, presBHi = 0xfe70, 0xfeff // Arabic Presentation Forms-B
)

var (
	presA = decompose(presALo, presAHi)
	presB = decompose(presBLo, presBHi)
)

// presentationForm returns the decomposition of r when r is an Arabic
// presentation form with one.
func presentationForm(r rune) ([]rune, bool) {
	var d []rune
	switch {
	case presALo <= r && r <= presAHi:
		d = presA[r-presALo]
	case presBLo <= r && r <= presBHi:
		d = presB[r-presBLo]
	default:
		return nil, false
	}
	return d, d != nil
}

// decompose tabulates the compatibility decompositions of lo..hi. Runes
// without one get nil (and are kept as they are); isolated diacritic forms,
// which decompose to a space and a mark, get an empty decomposition so that
// they vanish like the marks themselves instead of splitting a word.
func decompose(lo, hi rune) [][]rune {
	t := make([][]rune, hi-lo+1)
	var buf [utf8.UTFMax]byte
	for r := lo; r <= hi; r++ {
		src := buf[:utf8.EncodeRune(buf[:], r)]
		d := []rune(string(norm.NFKD.Bytes(src)))
		if len(d) == 1 && d[0] == r {
			continue
		}
		onlyMarks := true
		for _, dr := range d {
			if dr != ' ' && !unicode.Is(unicode.Mn, dr) {
				onlyMarks = false
			}
		}
		if onlyMarks {
			d = []rune{}
		}
		t[r-lo] = d
	}
	return t
}
