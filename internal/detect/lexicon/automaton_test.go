package lexicon

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

type occurrence struct {
	pattern int32
	end     int
}

func naiveScan(patterns [][]byte, text []byte) []occurrence {
	var out []occurrence
	for end := 1; end <= len(text); end++ {
		for i, p := range patterns {
			if len(p) <= end && bytes.Equal(text[end-len(p):end], p) {
				out = append(out, occurrence{int32(i), end})
			}
		}
	}
	return out
}

func sortOcc(o []occurrence) {
	slices.SortFunc(o, func(a, b occurrence) int {
		if a.end != b.end {
			return a.end - b.end
		}
		return int(a.pattern - b.pattern)
	})
}

// TestAutomatonAgainstNaive compares the automaton with a byte-wise
// brute-force search on random patterns and texts over a small alphabet
// (ASCII, Arabic letters, which share their lead byte, and runes of three
// and four bytes), where overlaps and shared prefixes and suffixes are
// frequent. Patterns are valid UTF-8, as normalized terms are; texts also
// hold stray bytes of UTF-8 (lead bytes, continuation bytes, the three bytes
// of U+FFFD), where a search by rune must find what a search by byte does.
func TestAutomatonAgainstNaive(t *testing.T) {
	runes := []string{"a", "b", " ", "ا", "ل", "د", "\u0644\u0627", "€", "😀", "\ufffd"}
	stray := []string{"\xd8", "\xd9", "\xa7", "\x84", "\xe2\x82", "\xf0\x9f\x98", "\xc0\x80"}
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int, bad []string) []byte {
		var b []byte
		for range n {
			if len(bad) > 0 && rng.IntN(4) == 0 {
				b = append(b, bad[rng.IntN(len(bad))]...)
				continue
			}
			b = append(b, runes[rng.IntN(len(runes))]...)
		}
		return b
	}
	for round := range 400 {
		var patterns [][]byte
		for range 1 + rng.IntN(40) {
			patterns = append(patterns, word(1+rng.IntN(5), nil))
		}
		a := buildAutomaton(patterns)
		text := word(rng.IntN(80), stray)
		var got []occurrence
		a.scan(text, func(p int32, end int) { got = append(got, occurrence{p, end}) })
		want := naiveScan(patterns, text)
		sortOcc(got)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: patterns %q text %q: got %v, want %v", round, patterns, text, got, want)
		}
	}
}

// TestAutomatonBigTable checks an automaton whose nodes do not fit the
// 16-bit table against the brute-force search: texts are made of pieces of
// the patterns, so that deep nodes are reached and matches found.
func TestAutomatonBigTable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an automaton of 80,000 nodes")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	letters := []rune("abcdefghijklmnopqrstابتثجحخدذرزسشصضطظعغف")
	var patterns [][]byte
	for range 7000 {
		var p []rune
		for range 12 {
			p = append(p, letters[rng.IntN(len(letters))])
		}
		patterns = append(patterns, []byte(string(p)))
	}
	a := buildAutomaton(patterns)
	if a.big == nil {
		t.Fatalf("%d nodes in the 16-bit table", len(a.dict))
	}
	for range 3 {
		var text []byte
		for range 20 {
			p := []rune(string(patterns[rng.IntN(len(patterns))]))
			text = append(text, string(p[:1+rng.IntN(len(p))])...)
		}
		text = append(text, patterns[rng.IntN(len(patterns))]...)
		var got []occurrence
		a.scan(text, func(p int32, end int) { got = append(got, occurrence{p, end}) })
		want := naiveScan(patterns, text)
		sortOcc(got)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Fatalf("text %q: got %v, want %v", text, got, want)
		}
	}
}
