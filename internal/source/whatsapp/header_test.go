package whatsapp

import (
	"testing"
	"time"
)

// The format cases follow the header formats exercised by
// Pustur/whatsapp-chat-parser's tests (MIT), rewritten as a table, plus the
// Arabic-locale headers raqib's users see.
func TestParseHeader(t *testing.T) {
	tests := []struct {
		name      string
		line      string
		dayFirst  bool
		want      string // RFC 3339
		author    string
		text      string
		bracket   bool
		hasAuthor bool
	}{
		{"android m/d/yy", "12/9/20, 23:55 - Bob: hello", false, "2020-12-09T23:55:00Z", "Bob", "hello", false, true},
		{"android 12h", "1/2/2020, 9:05 PM - Alice: hi", false, "2020-01-02T21:05:00Z", "Alice", "hi", false, true},
		{"android narrow nbsp before pm", "1/2/2020, 9:05\u202fPM - Alice: hi", false, "2020-01-02T21:05:00Z", "Alice", "hi", false, true},
		{"p.m. day-first", "3/6/18, 1:55 p.m. - a: m", true, "2018-06-03T13:55:00Z", "a", "m", false, true},
		{"dashed date dotted time PM", "03-06-2018, 01.55 PM - a: m", true, "2018-06-03T13:55:00Z", "a", "m", false, true},
		{"dotted date colon terminator", "13.06.18 21.25.15: a: m", true, "2018-06-13T21:25:15Z", "a", "m", false, true},
		{"ios dotted month-first", "[06.13.18 21:25:15] a: m", false, "2018-06-13T21:25:15Z", "a", "m", true, true},
		{"finnish klo", "13.6.2018 klo 21.25.15 - a: m", true, "2018-06-13T21:25:15Z", "a", "m", false, true},
		{"spaced dots no terminator", "13. 6. 2018. 21:25:15 a: m", true, "2018-06-13T21:25:15Z", "a", "m", false, true},
		{"ios p. m.", "[3/6/18 1:55:00 p. m.] a: m", true, "2018-06-03T13:55:00Z", "a", "m", true, true},
		{"ios lrm before date", "\u200e[3/6/18 1:55:00 p. m.] a: m", true, "2018-06-03T13:55:00Z", "a", "m", true, true},
		{"ios year first", "[2018/06/13, 21:25:15] a: m", false, "2018-06-13T21:25:15Z", "a", "m", true, true},
		{"ios year in the middle", "[06/2018/13, 21:25:15] a: m", false, "2018-06-13T21:25:15Z", "a", "m", true, true},
		{"12 am is midnight", "1/2/20, 12:30 AM - a: m", false, "2020-01-02T00:30:00Z", "a", "m", false, true},
		{"12 pm is noon", "1/2/20, 12:30 PM - a: m", false, "2020-01-02T12:30:00Z", "a", "m", false, true},
		{"empty message", "03/02/17, 18:42 - Luke: ", true, "2017-02-03T18:42:00Z", "Luke", "", false, true},
		{"system line", "06/03/2017, 00:45 - You created group \"Test\"", true, "2017-03-06T00:45:00Z", "", "You created group \"Test\"", false, false},
		{"system line with colon in subject", "06/03/2017, 00:45 - Ann changed the subject to \"a: b\"", true, "2017-03-06T00:45:00Z", "", "Ann changed the subject to \"a: b\"", false, false},
		{"phone number author", "09/04/2017, 01:50 - +410123456789: How are you?", true, "2017-04-09T01:50:00Z", "+410123456789", "How are you?", false, true},
		{"arabic android evening", "٢٤\u200f/٧\u200f/٢٠٢٠ ١٢:٠٠ م - أبو محمد: السلام عليكم", true, "2020-07-24T12:00:00Z", "أبو محمد", "السلام عليكم", false, true},
		{"arabic android morning", "٢٤\u200f/٧\u200f/٢٠٢٠ ١٢:٠٠ ص - أبو محمد: السلام عليكم", true, "2020-07-24T00:00:00Z", "أبو محمد", "السلام عليكم", false, true},
		{"arabic ios comma", "[٢٤\u200f/٧\u200f/٢٠٢٠، ١٢:٠٠:٠٠ م] أبو محمد: نص", true, "2020-07-24T12:00:00Z", "أبو محمد", "نص", true, true},
		{"persian digits", "[۲۴/۷/۲۰۲۰، ۲۱:۰۵:۰۰] علی: سلام", true, "2020-07-24T21:05:00Z", "علی", "سلام", true, true},
		{"arabic system line", "٢٥\u200f/٧\u200f/٢٠٢٠ ١٢:٠٠ ص - انضم أبو عمر باستخدام رابط الدعوة", true, "2020-07-25T00:00:00Z", "", "انضم أبو عمر باستخدام رابط الدعوة", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ok := parseHeader(tt.line)
			if !ok {
				t.Fatalf("parseHeader(%q) is not a header", tt.line)
			}
			at, err := h.resolve(tt.dayFirst)
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if got := at.Format(time.RFC3339); got != tt.want {
				t.Errorf("time = %s, want %s", got, tt.want)
			}
			if h.author != tt.author || h.text != tt.text || h.hasAuthor != tt.hasAuthor || h.bracket != tt.bracket {
				t.Errorf("author %q text %q hasAuthor %v bracket %v; want %q %q %v %v",
					h.author, h.text, h.hasAuthor, h.bracket, tt.author, tt.text, tt.hasAuthor, tt.bracket)
			}
		})
	}
}

func TestParseHeaderRejectsNonHeaders(t *testing.T) {
	for _, line := range []string{
		"",
		"hello there",
		"2016-04-29 10:30:00",             // a continuation line that starts with a date-time
		"12/9/20 23:55 Alice: hi",         // slashed dates need " - " or brackets
		"1/2/3, 10:00 - a: m",             // a one-digit year
		"1/2/20200, 10:00 - a: m",         // a five-digit year
		"12/9-20, 23:55 - a: m",           // mixed separators
		"12/9/20, 23:5 - a: m",            // one-digit minutes
		"[12/9/20, 23:55 Alice: hi",       // unclosed bracket
		"2020/2020/12, 10:00 - a: m",      // two years
		"13.06.18 21.25.15: no author",    // colon ending without "Author: "
		"12/9/20, 23:55 -no space: after", // "-" must be followed by a space
	} {
		t.Run(line, func(t *testing.T) {
			if h, ok := parseHeader(line); ok {
				t.Errorf("parseHeader(%q) = %+v, want no header", line, h)
			}
		})
	}
}

func TestResolveRejectsImpossible(t *testing.T) {
	tests := []struct {
		line     string
		dayFirst bool
	}{
		{"32/7/2020 9:00 - a: m", true},
		{"13/13/20, 9:00 - a: m", true},
		{"31/2/2020, 9:00 - a: m", true}, // 31 February
		{"2/13/20, 9:00 - a: m", true},   // month 13 in a day-first file
		{"13/2/20, 9:00 - a: m", false},  // month 13 in a month-first file
		{"1/2/20, 24:00 - a: m", false},
		{"1/2/20, 23:60 - a: m", false},
		{"1/2/20, 13:00 PM - a: m", false},
		{"0/2/20, 10:00 - a: m", false},
		{"[1/2/1969, 10:00:00] a: m", false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			h, ok := parseHeader(tt.line)
			if !ok {
				t.Fatalf("%q is not a header; want a header with an impossible date", tt.line)
			}
			if at, err := h.resolve(tt.dayFirst); err == nil {
				t.Errorf("resolve = %v, want an error", at)
			}
		})
	}
}
