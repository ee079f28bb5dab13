package web

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/raqib-project/raqib/internal/post"
)

// segment is a piece of normalized text, marked when spans cover it.
type segment struct {
	Text  string
	Mark  bool
	Why   string     // the reasons of every span covering it
	Label post.Label // the label of the first signal covering it, for colour
}

// maxSpans bounds the work of highlighting a post whose detectors reported
// an absurd number of spans.
const maxSpans = 1000

// highlight cuts norm into segments at every span boundary, so that
// overlapping spans become adjacent marks carrying the reasons of all spans
// that cover them. Spans outside norm, empty or reversed are counted in bad
// and left out; offsets inside a UTF-8 sequence are moved to its start.
func highlight(norm string, sigs []post.Signal) (segs []segment, bad int) {
	type span struct {
		start, end int
		why        string
		label      post.Label
	}
	var spans []span
	cuts := []int{0, len(norm)}
	for _, sg := range sigs {
		for _, sp := range sg.Spans {
			start, end := runeStart(norm, sp.Start), runeStart(norm, sp.End)
			if sp.Start < 0 || sp.End > len(norm) || start >= end || len(spans) == maxSpans {
				bad++
				continue
			}
			why := sp.Why
			if why == "" {
				why = sp.Text
			}
			spans = append(spans, span{start, end, sg.Detector + ": " + why, sg.Label})
			cuts = append(cuts, start, end)
		}
	}
	if norm == "" {
		return nil, bad
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	for i := 0; i+1 < len(cuts); i++ {
		a, b := cuts[i], cuts[i+1]
		seg := segment{Text: norm[a:b]}
		var whys []string
		for _, sp := range spans {
			if sp.start <= a && b <= sp.end {
				if !seg.Mark {
					seg.Mark, seg.Label = true, sp.label
				}
				whys = appendNew(whys, sp.why)
			}
		}
		seg.Why = strings.Join(whys, "\n")
		if n := len(segs); n > 0 && segs[n-1].Mark == seg.Mark && segs[n-1].Why == seg.Why && segs[n-1].Label == seg.Label {
			segs[n-1].Text += seg.Text
			continue
		}
		segs = append(segs, seg)
	}
	return segs, bad
}

// runeStart clamps i into s and moves it back to the start of the UTF-8
// sequence it points into.
func runeStart(s string, i int) int {
	i = min(max(i, 0), len(s))
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
