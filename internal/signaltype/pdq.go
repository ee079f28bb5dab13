package signaltype

import (
	"fmt"

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
	Distance:     distanceBy(parsePDQ, mih.Distance),
	Threshold:    31,
	MaxDistance:  256,
	BankDistance: true,
	NewIndex:     func() Index { return &pdqIndex{ix: mih.NewIndex(nil)} },
}

func parsePDQ(v string) (mih.Hash256, error) {
	h, err := mih.ParseHex(v)
	if err != nil {
		return h, fmt.Errorf("%w: %w", ErrBadValue, err)
	}
	return h, nil
}

// pdqIndex is the multi-index over PDQ hashes.
type pdqIndex struct{ ix *mih.Index }

func (p *pdqIndex) Add(values ...string) error {
	hs := make([]mih.Hash256, len(values))
	for i, v := range values {
		h, err := parsePDQ(v)
		if err != nil {
			return err
		}
		hs[i] = h
	}
	// Building the index at once is much faster than adding hash by hash.
	if p.ix.Len() == 0 {
		p.ix = mih.NewIndex(hs)
		return nil
	}
	for _, h := range hs {
		p.ix.Add(h)
	}
	return nil
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
