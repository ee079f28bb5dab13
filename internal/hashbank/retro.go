package hashbank

import (
	"errors"
	"fmt"
)

// HashSeq yields already-collected signals from the store: the signal
// type, the value, and the key of the post or media item that has it.
type HashSeq func(yield func(typ, value, key string) bool)

// RetroMatch is an already-collected item that a newly added entry matches.
type RetroMatch struct {
	Key   string
	Match Match
}

// maxRetroErrors bounds the bad stored hashes reported by Retro: a corrupt
// store would otherwise produce one error per row.
const maxRetroErrors = 20

// Retro searches already-collected hashes for matches with entries that
// were just added to banks (before or after m.Add). It indexes only the new
// entries and streams the old hashes through that small index, so its cost
// is one pass over the store, not a rebuild. Negative banks of m (and
// negative entries among added) still suppress. Bad added entries and bad
// stored hashes are reported in the error; the rest is searched.
func (m *Matcher) Retro(added []Entry, old HashSeq) ([]RetroMatch, error) {
	small := NewMatcher()
	var errs []error
	if err := small.Load(m.Banks(), added); err != nil {
		errs = append(errs, err)
	}
	var out []RetroMatch
	bad := 0
	old(func(typ, value, key string) bool {
		r, err := small.Match(typ, value)
		if err != nil {
			if bad++; bad <= maxRetroErrors {
				errs = append(errs, fmt.Errorf("stored item %q: %w", key, err))
			}
			return true
		}
		if len(r.Matches) == 0 {
			return true
		}
		// Hits are rare, so asking the full matcher about negatives here
		// costs little.
		if full, err := m.Match(typ, value); err != nil || len(full.Suppressed) > 0 {
			return true
		}
		for _, x := range r.Matches {
			out = append(out, RetroMatch{Key: key, Match: x})
		}
		return true
	})
	if bad > maxRetroErrors {
		errs = append(errs, fmt.Errorf("%d more bad stored hashes", bad-maxRetroErrors))
	}
	return out, errors.Join(errs...)
}
