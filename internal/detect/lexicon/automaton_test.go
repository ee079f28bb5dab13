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

// TestAutomatonAgainstNaive compares the automaton with a brute-force search
// on random patterns and texts over a small alphabet (ASCII and the UTF-8
// bytes of Arabic letters), where overlaps and shared prefixes and suffixes
// are frequent.
func TestAutomatonAgainstNaive(t *testing.T) {
	alphabet := []byte("ab \xd8\xd9\xa7\x84")
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return b
	}
	for round := range 200 {
		var patterns [][]byte
		for range 1 + rng.IntN(40) {
			patterns = append(patterns, word(1+rng.IntN(6)))
		}
		a := buildAutomaton(patterns)
		text := word(rng.IntN(120))
		var got []occurrence
		a.scan(text, func(p int32, end int) { got = append(got, occurrence{p, end}) })
		want := naiveScan(patterns, text)
		sortOcc(got)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: patterns %q text %q: got %v, want %v", round, patterns, text, got, want)
		}
	}
}
