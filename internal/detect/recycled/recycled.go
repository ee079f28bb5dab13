// Package recycled is the recycled-text detector: it recognizes a post
// whose text near-duplicates one already found violating, whoever posts it
// and whatever hashtags, emoji or words were changed around it.
//
// The texts it compares against are the representatives of the clusters
// of violating text: the shared, append-only log in the store
// (store.TextIndex), of which each worker holds the newest entries in a
// bounded in-memory index (internal/neardup) and catches up before each
// batch. A representative is a violating text that is not itself a close
// copy of one indexed already, so that a campaign of 100,000 copies costs
// one entry.
package recycled

import (
	"errors"
	"fmt"
	"strings"

	"github.com/raqib-project/raqib/internal/detect"
	"github.com/raqib-project/raqib/internal/effect"
	"github.com/raqib-project/raqib/internal/neardup"
	"github.com/raqib-project/raqib/internal/post"
)

// Name is the detector name on its signals.
const Name = "neardup"

// Similarity thresholds (estimated Jaccard of the texts' shingles).
const (
	// Min is the similarity from which a post is reported as a copy of a
	// violating text.
	Min = 0.7
	// Representative is the similarity from which a violating text is a
	// copy of an indexed one rather than a new cluster of its own.
	Representative = 0.9
)

// Detector matches posts against the index of representatives.
type Detector struct {
	ix *neardup.Index
}

var _ detect.Detector = (*Detector)(nil)

// New returns a detector over ix.
func New(ix *neardup.Index) *Detector { return &Detector{ix: ix} }

// Name implements detect.Detector.
func (d *Detector) Name() string { return Name }

// Len returns the number of representatives held in memory.
func (d *Detector) Len() int { return d.ix.Len() }

// Capacity returns how many representatives it holds at most: the newest.
func (d *Detector) Capacity() int { return d.ix.Capacity() }

// The index key of a representative carries its label, so that a copy
// inherits what the original was found to be without a second map that
// eviction would have to follow. Labels hold no space.
func indexKey(key string, label post.Label) string { return string(label) + " " + key }

func splitKey(k string) (string, post.Label) {
	label, key, _ := strings.Cut(k, " ")
	return key, post.Label(label)
}

// Add indexes a representative read from the shared log. A key indexed
// already is not an error: a worker reads back what it wrote.
func (d *Detector) Add(key string, label post.Label, sig []byte) error {
	var s neardup.Signature
	if err := s.UnmarshalBinary(sig); err != nil {
		return fmt.Errorf("representative %s: %w", key, err)
	}
	if err := d.ix.Insert(indexKey(key, label), s); err != nil && !errors.Is(err, neardup.ErrDuplicateKey) {
		return fmt.Errorf("representative %s: %w", key, err)
	}
	return nil
}

// Detect implements detect.Detector: one signal for the most similar
// violating text, if any reaches Min. One is enough to explain the post
// and to group it with its cluster; listing every similar text made each
// signal list grow with the campaign. A text that belongs to no cluster
// leaves its signature in fx, for the worker to index should the post be
// found violating.
func (d *Detector) Detect(p *post.Post, out []post.Signal, fx *effect.Set) ([]post.Signal, error) {
	if p.Norm == "" {
		return out, nil
	}
	sig, ok := neardup.Sign(p.Norm)
	if !ok {
		return out, nil
	}
	n := len(out)
	out = d.match(p.Key(), &sig, out)
	if fx != nil && !Represented(out[n:]) {
		b, err := sig.MarshalBinary()
		if err != nil {
			return out, fmt.Errorf("signature of %s: %w", p.Key(), err)
		}
		fx.TextSig = b
	}
	return out, nil
}

// match appends the signal of the most similar violating text, if any.
func (d *Detector) match(self string, sig *neardup.Signature, out []post.Signal) []post.Signal {
	if d.ix.Len() == 0 {
		return out
	}
	for _, c := range d.ix.QuerySignature(sig) {
		key, label := splitKey(c.Key)
		if key == self || c.Similarity < Min || !label.Violating() {
			continue
		}
		return append(out, post.Signal{
			Detector: Name, Label: label, Tier: post.TierPromotional, Score: c.Similarity,
			Explanation: fmt.Sprintf("text near-duplicates post %s, found %s before (estimated similarity %.2f)", key, label, c.Similarity),
			Ref:         key,
		})
	}
	return out
}

// Represented reports whether signals hold a copy of an indexed text close
// enough that the post belongs to that text's cluster rather than
// starting one.
func Represented(signals []post.Signal) bool {
	for _, s := range signals {
		if s.Detector == Name && s.Score >= Representative {
			return true
		}
	}
	return false
}
