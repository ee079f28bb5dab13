package whatsapp

import (
	"strings"
	"unicode/utf8"
)

// header is the date-time prefix of a chat line, as written: the date parts
// keep their written order because which of them is the day is decided per
// file (see facts.dayFirst).
type header struct {
	date    [3]int // date numbers in written order
	dateLen [3]int // digit counts, to find a four-digit year
	hour    int
	min     int
	sec     int
	ampm    byte // 0, 'a' or 'p'
	arabic  bool // written with Arabic-Indic digits
	sep     byte // date separator: '/', '.' or '-'
	bracket bool // iOS style "[date, time] "

	// rest is everything after the header: "Author: text" or a system line.
	rest string
	// author and text split rest at the first ": "; hasAuthor is false for
	// system lines, which have no sender.
	author    string
	text      string
	hasAuthor bool
}

// isMark reports whether r is an invisible direction or format mark.
// WhatsApp sprinkles them around dates, phone numbers and system text.
func isMark(r rune) bool {
	switch r {
	case '\u200e', '\u200f', '\u061c', '\ufeff':
		return true
	}
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// isBlank covers the spaces seen in exports; newer ones put a narrow no-break
// space before AM/PM.
func isBlank(r rune) bool {
	return r == ' ' || r == '\t' || r == '\u00a0' || r == '\u202f'
}

// stripMarks removes direction and format marks.
func stripMarks(s string) string {
	if !strings.ContainsFunc(s, isMark) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isMark(r) {
			return -1
		}
		return r
	}, s)
}

// digit returns the value of an ASCII, Arabic-Indic or Extended
// Arabic-Indic (Persian) digit.
func digit(r rune) (v int, arabic, ok bool) {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0'), false, true
	case r >= '\u0660' && r <= '\u0669':
		return int(r - '\u0660'), true, true
	case r >= '\u06f0' && r <= '\u06f9':
		return int(r - '\u06f0'), true, true
	}
	return 0, false, false
}

type cursor struct {
	s      string
	i      int
	arabic bool
}

func (c *cursor) peek() (rune, int) {
	if c.i >= len(c.s) {
		return utf8.RuneError, 0
	}
	return utf8.DecodeRuneInString(c.s[c.i:])
}

func (c *cursor) skipMarks() {
	for {
		r, n := c.peek()
		if n == 0 || !isMark(r) {
			return
		}
		c.i += n
	}
}

// skipBlank skips marks and spaces and returns how many spaces it saw.
func (c *cursor) skipBlank() int {
	spaces := 0
	for {
		r, n := c.peek()
		switch {
		case n == 0:
			return spaces
		case isMark(r):
		case isBlank(r):
			spaces++
		default:
			return spaces
		}
		c.i += n
	}
}

// accept consumes s if it comes next.
func (c *cursor) accept(s string) bool {
	if strings.HasPrefix(c.s[c.i:], s) {
		c.i += len(s)
		return true
	}
	return false
}

// acceptAny consumes the first rune if it is one of set.
func (c *cursor) acceptAny(set string) (rune, bool) {
	r, n := c.peek()
	if n == 0 || !strings.ContainsRune(set, r) {
		return 0, false
	}
	c.i += n
	return r, true
}

// number reads one to max digits.
func (c *cursor) number(max int) (v, n int, ok bool) {
	for n < max {
		r, w := c.peek()
		d, ar, isDigit := digit(r)
		if w == 0 || !isDigit {
			break
		}
		v = v*10 + d
		n++
		c.i += w
		c.arabic = c.arabic || ar
	}
	if n == 0 {
		return 0, 0, false
	}
	// One digit more than allowed means this is not a date or time at all.
	r, _ := c.peek()
	if _, _, more := digit(r); more {
		return 0, 0, false
	}
	return v, n, true
}

// ampmTokens are the AM/PM spellings seen in exports, longest first so that
// "a. m." wins over "a". Arabic uses ص (morning) and م (evening).
var ampmTokens = []struct {
	tok string
	v   byte
}{
	{"a. m.", 'a'}, {"p. m.", 'p'}, {"a.m.", 'a'}, {"p.m.", 'p'},
	{"am", 'a'}, {"pm", 'p'}, {"ص", 'a'}, {"م", 'p'},
}

func (c *cursor) ampm() byte {
	rest := c.s[c.i:]
	for _, t := range ampmTokens {
		if len(rest) >= len(t.tok) && strings.EqualFold(rest[:len(t.tok)], t.tok) {
			c.i += len(t.tok)
			return t.v
		}
	}
	return 0
}

// parseHeader recognises the message headers of Android and iOS exports in
// any locale we have seen:
//
//	12/9/20, 23:55 - Alice: text                 Android
//	1/2/2020, 9:05 PM - Alice: text              Android, 12-hour clock
//	[12/9/20, 23:55:01] Alice: text              iOS, maybe behind U+200E
//	٢٤‏/٧‏/٢٠٢٠ ١٢:٠٠ م - أبو محمد: text          Android, Arabic locale
//	[٢٤‏/٧‏/٢٠٢٠، ١٢:٠٠:٠٠ م] أبو محمد: text      iOS, Arabic locale
//	13.06.18 21.25.15: a: m, 13. 6. 2018. 21:25:15 a: m, 13.6.2018 klo 21.25.15 - a: m
//
// It checks the shape only; whether the date exists is decided by resolve,
// once the file's day/month order is known.
func parseHeader(line string) (header, bool) {
	var h header
	c := cursor{s: line}
	c.skipBlank()
	if c.accept("[") {
		h.bracket = true
		c.skipBlank()
	}
	for k := range 3 {
		v, n, ok := c.number(4)
		if !ok {
			return h, false
		}
		h.date[k], h.dateLen[k] = v, n
		c.skipMarks()
		if k == 2 {
			break
		}
		sep, ok := c.acceptAny("/.-")
		if !ok || (k == 1 && byte(sep) != h.sep) {
			return h, false
		}
		h.sep = byte(sep)
		c.skipBlank()
	}
	if !h.yearShapeOK() {
		return h, false
	}
	if h.sep == '.' {
		c.accept(".") // "13. 6. 2018. 21:25:15"
	}
	c.skipMarks()
	_, comma := c.acceptAny(",،")
	if c.skipBlank() == 0 && !comma {
		return h, false
	}
	if c.accept("klo") && c.skipBlank() == 0 {
		return h, false
	}
	var ok bool
	if h.hour, _, ok = c.number(2); !ok {
		return h, false
	}
	if _, ok = c.acceptAny(":."); !ok {
		return h, false
	}
	var n int
	if h.min, n, ok = c.number(2); !ok || n != 2 {
		return h, false
	}
	save := c.i
	if _, ok := c.acceptAny(":."); ok {
		if h.sec, n, ok = c.number(2); !ok || n != 2 {
			// "21.25.15: a: m" has a colon after the seconds; a colon right
			// after the minutes is the terminator, not a seconds separator.
			c.i = save
		}
	}
	h.arabic = c.arabic
	afterTime := c.i
	c.skipBlank()
	if h.ampm = c.ampm(); h.ampm == 0 || !h.terminate(&c) {
		c.i, h.ampm = afterTime, 0
		if !h.terminate(&c) {
			return h, false
		}
	}
	h.rest = c.s[c.i:]
	h.splitAuthor()
	return h, true
}

// yearShapeOK checks that one date part can be the year: four digits
// anywhere, or two digits at the end; the other parts have one or two.
func (h *header) yearShapeOK() bool {
	fours := 0
	for k, n := range h.dateLen {
		switch n {
		case 4:
			fours++
		case 1, 2:
		default:
			return false
		}
		if k == 2 && fours == 0 && n != 2 {
			return false
		}
	}
	return fours <= 1
}

// terminate consumes what ends the header: "] " for iOS, " - " for Android,
// and for dotted dates also ": " or a bare space before "Author: ".
func (h *header) terminate(c *cursor) bool {
	save := c.i
	spaces := c.skipBlank()
	if h.bracket {
		if !c.accept("]") {
			c.i = save
			return false
		}
		c.skipBlank()
		return true
	}
	if _, ok := c.acceptAny("-–"); ok && spaces > 0 {
		if c.skipBlank() > 0 {
			return true
		}
		c.i = save
		return false
	}
	// The looser endings are only used with dotted dates; allowing them for
	// slashed ones would turn a continuation line that starts with a date
	// into a new message.
	if h.sep != '.' {
		c.i = save
		return false
	}
	if c.s[c.i:] != "" && c.s[c.i] == ':' {
		c.i++
		if c.skipBlank() > 0 && strings.Contains(c.s[c.i:], ": ") {
			return true
		}
	} else if spaces > 0 && strings.Contains(c.s[c.i:], ": ") {
		return true
	}
	c.i = save
	return false
}

// maxAuthor bounds a sender name; a longer "name" before ": " is system text
// that happens to contain a colon.
const maxAuthor = 100

// splitAuthor splits "Author: text". A system line (no sender) is left
// whole; its text may contain ": " too, but then the part before it carries
// a quote (a group subject) or is too long to be a name.
func (h *header) splitAuthor() {
	h.text = h.rest
	i := strings.Index(h.rest, ": ")
	if i < 0 && strings.HasSuffix(h.rest, ":") {
		i = len(h.rest) - 1
	}
	if i <= 0 {
		return
	}
	a := h.rest[:i]
	if utf8.RuneCountInString(a) > maxAuthor || strings.ContainsAny(a, "\"“”«»") || strings.TrimFunc(a, func(r rune) bool { return isMark(r) || isBlank(r) }) == "" {
		return
	}
	h.author, h.hasAuthor = a, true
	h.text = strings.TrimPrefix(h.rest[i:], ":")
	h.text = strings.TrimPrefix(h.text, " ")
}
