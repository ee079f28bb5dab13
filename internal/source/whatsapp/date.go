package whatsapp

import (
	"fmt"
	"time"
)

// facts are what a first look at a file's headers decides for the whole
// file: the day/month order and whether the chat is a group. Gathering them
// takes constant memory.
type facts struct {
	headers     int
	firstHeader int64 // byte offset of the first header line, -1 when none

	dayEvidence   int // headers whose first day/month part is above 12
	monthEvidence int // headers whose second day/month part is above 12

	// The style of the first header sets the default order.
	arabic  bool
	sep     byte
	yearLen int

	group   bool
	authors []string // up to three distinct senders
}

func newFacts() facts { return facts{firstHeader: -1} }

func (f *facts) add(h *header, c class, offset int64) {
	if f.headers == 0 {
		f.firstHeader = offset
		f.arabic, f.sep = h.arabic, h.sep
		f.yearLen = h.dateLen[h.yearIndex()]
	}
	f.headers++
	if x, y, ok := h.pair(); ok {
		if x > 12 && y <= 12 {
			f.dayEvidence++
		}
		if y > 12 && x <= 12 {
			f.monthEvidence++
		}
	}
	f.group = f.group || c.group
	if h.hasAuthor && !c.service && len(f.authors) < 3 {
		a := cleanName(h.author)
		for _, s := range f.authors {
			if s == a {
				return
			}
		}
		f.authors = append(f.authors, a)
	}
}

// dayFirst decides the order of the day and month for the whole file:
//
//  1. a day/month part above 12 can only be a day: if only first parts are
//     ever above 12 the file is day-first, if only second parts are it is
//     month-first, and if both happen the majority wins;
//  2. when no date tells (every part is 12 or less), the locale style of
//     the first header decides: Latin digits with slashes and a two-digit
//     year ("12/9/20, 23:55 - ", US English, Android and iOS) are
//     month-first; everything else (Arabic-Indic digits, four-digit years,
//     dotted and dashed dates) is day-first, as in nearly every locale but
//     the US.
//
// Headers that contradict the decision are rejected as impossible dates.
func (f *facts) dayFirst() bool {
	switch {
	case f.dayEvidence > f.monthEvidence:
		return true
	case f.monthEvidence > f.dayEvidence:
		return false
	}
	return f.arabic || f.sep != '/' || f.yearLen != 2
}

// isGroup reports whether the chat is a group: a group system line was seen
// (created, added, joined, left, ...) or more than two people wrote.
func (f *facts) isGroup() bool {
	return f.group || len(f.authors) > 2
}

// yearIndex is the position of the year: the four-digit part, else the last.
func (h *header) yearIndex() int {
	for k, n := range h.dateLen {
		if n == 4 {
			return k
		}
	}
	return 2
}

// pair returns the day and month parts in written order; ok is false for
// year-first dates, whose order is fixed (year, month, day).
func (h *header) pair() (x, y int, ok bool) {
	switch h.yearIndex() {
	case 0:
		return 0, 0, false
	case 1:
		return h.date[0], h.date[2], true
	}
	return h.date[0], h.date[1], true
}

// resolve turns a header into a time. Exports carry no time zone: the
// clock shown is the exporting phone's local time, which we keep as UTC.
func (h *header) resolve(dayFirst bool) (time.Time, error) {
	year := h.date[h.yearIndex()]
	if h.dateLen[h.yearIndex()] == 2 {
		year += 2000
	}
	var day, month int
	if x, y, ok := h.pair(); !ok {
		month, day = h.date[1], h.date[2]
	} else if dayFirst {
		day, month = x, y
	} else {
		month, day = x, y
	}
	order := "month-first"
	if dayFirst {
		order = "day-first"
	}
	if year < 1970 || year > 2199 || month < 1 || month > 12 || day < 1 || day > 31 {
		return time.Time{}, fmt.Errorf("impossible date %d-%d-%d (%s, as decided for this file)", year, month, day, order)
	}
	hour := h.hour
	switch h.ampm {
	case 'a', 'p':
		if hour > 12 {
			return time.Time{}, fmt.Errorf("impossible time: hour %d with AM/PM", hour)
		}
		hour %= 12
		if h.ampm == 'p' {
			hour += 12
		}
	}
	if hour > 23 || h.min > 59 || h.sec > 59 {
		return time.Time{}, fmt.Errorf("impossible time %02d:%02d:%02d", hour, h.min, h.sec)
	}
	t := time.Date(year, time.Month(month), day, hour, h.min, h.sec, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, fmt.Errorf("impossible date %d-%02d-%02d (%s, as decided for this file)", year, month, day, order)
	}
	return t, nil
}
