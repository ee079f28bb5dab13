package signaltype

import (
	"fmt"
	"github.com/raqib-project/raqib/internal/pdq"

	"github.com/raqib-project/raqib/internal/hashbank/mih"
)

// PDQ is Meta's 256-bit perceptual image hash; two images match when their
// hashes differ in at most a bank's distance of bits (31 by default, the
// threshold Meta recommends).
var PDQ = &Type{
	Name:         "pdq",
	Title:        "PDQ",
	HashColumn:   "pdq_hash",
	Shared:       true,
	Content:      []Content{Image},
	Canonical:    canonicalHex(64),
	Distance:     distanceBy(parsePDQ, pdq.Hash.Distance),
	Threshold:    31,
	MaxDistance:  256,
	BankDistance: true,
	NewIndex:     func() Index { return &pdqIndex{ix: mih.NewIndex(nil)} },
}

func parsePDQ(v string) (pdq.Hash, error) {
	h, err := pdq.ParseHash(v)
	if err != nil {
		return h, fmt.Errorf("%w: %w", ErrBadValue, err)
	}
	return h, nil
}

// pdqIndex is the multi-index over PDQ hashes.
type pdqIndex struct{ ix *mih.Index }

func (p *pdqIndex) Add(values ...string) error {
	hs := make([]pdq.Hash, len(values))
	for i, v := range values {
		h, err := parsePDQ(v)
		if err != nil {
			return err
		}
		hs[i] = h
	}
	p.ix = addHashes(p.ix, hs)
	return nil
}

// addHashes adds hs to ix and returns the index that holds both: a new one
// when ix is empty, because building an index at once is much faster than
// adding hash by hash.
func addHashes(ix *mih.Index, hs []pdq.Hash) *mih.Index {
	if ix.Len() == 0 {
		return mih.NewIndex(hs)
	}
	for _, h := range hs {
		ix.Add(h)
	}
	return ix
}

func (p *pdqIndex) Query(q string, threshold int) ([]Hit, error) {
	h, err := parsePDQ(q)
	if err != nil {
		return nil, err
	}
	found := p.ix.Query(h, threshold)
	out := make([]Hit, len(found))
	for i, f := range found {
		out[i] = Hit{ID: int(f.ID), Distance: f.Distance}
	}
	return out, nil
}
