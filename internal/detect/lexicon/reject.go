package lexicon

// rejectWords is how many words may stand between a rejection (a
// counter-speech term: كذبة، المزعومة، لا تصدقوا، بلغوا عن) and the group's
// name, slogan or vocabulary it rejects: "هذا الشعار باقية وتتمدد كذبة".
const rejectWords = 6

// rejectBytes bounds the text scanned for the words between two hits.
const rejectBytes = 24 * rejectWords

// MarkRejected marks as Quoted the violating hits that stand within
// rejectWords words of a counter-speech hit, before or after it: a slogan
// rejected is quoted, not chanted, and counts as little as a quotation in
// news. hits are as Match reports them, in the order their terms end.
// MarkRejected does not allocate and is linear in len(hits).
func MarkRejected(norm []byte, hits []Hit) {
	last := -1 // the latest counter-speech hit seen
	for i := range hits {
		h := &hits[i]
		if h.Entry.Category == CounterSpeech {
			last = i
			continue
		}
		if last >= 0 && h.Entry.Category.Violating() && near(norm, hits[last].End, h.Start) {
			h.Quoted = true
		}
	}
	next := -1
	for i := len(hits) - 1; i >= 0; i-- {
		h := &hits[i]
		if h.Entry.Category == CounterSpeech {
			next = i
			continue
		}
		if next >= 0 && h.Entry.Category.Violating() && near(norm, h.End, hits[next].Start) {
			h.Quoted = true
		}
	}
}

// near reports whether at most rejectWords words lie between the offsets
// end (of one term) and start (of the next); overlapping terms are near.
func near(norm []byte, end, start int) bool {
	if start <= end {
		return true
	}
	if start-end > rejectBytes {
		return false
	}
	words, in := 0, false
	for _, c := range norm[end:start] {
		sp := c == ' ' || c == '\n' || c == '\t' || c == '\r'
		if !sp && !in {
			words++
		}
		in = !sp
	}
	return words <= rejectWords
}
