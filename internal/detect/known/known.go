// Package known is the known-content detector: it matches a post's media
// hashes (MD5, SHA-256, PDQ) and its normalized text against the hash banks,
// so that known propaganda is recognized whoever re-posts it. Recycled text
// that no bank holds is detect/recycled's.
package known

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/raqib-project/raqib/internal/detect"
	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
)

// BankDetector is the detector name on the signals, which
// rules.KnownContentRule reads.
const BankDetector = "hashbank"

// TextHash is the bank hash of a post's text: SHA-256 of the normalized
// text, so that diacritics, tatweel and spacing do not change it.
func TextHash(norm string) string {
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:])
}

// Detector matches posts against banks.
type Detector struct {
	Banks *hashbank.Matcher
}

var _ detect.Detector = (*Detector)(nil)

// Name implements detect.Detector.
func (d *Detector) Name() string { return BankDetector }

// Detect implements detect.Detector. It allocates only when something
// matches.
func (d *Detector) Detect(p *post.Post, out []post.Signal) ([]post.Signal, error) {
	var errs []string
	if d.Banks != nil {
		for i := range p.Media {
			m := &p.Media[i]
			for _, q := range []struct{ algo, hash, what string }{
				{hashbank.AlgoSHA256, m.SHA256, "file"},
				{hashbank.AlgoMD5, m.MD5, "file"},
				{hashbank.AlgoPDQ, m.PDQ, "image"},
			} {
				if q.hash == "" {
					continue
				}
				var err error
				out, err = d.match(out, q.algo, q.hash, fmt.Sprintf("%s %d (%s)", q.what, i+1, m.Kind))
				if err != nil {
					errs = append(errs, err.Error())
				}
			}
		}
		if p.Norm != "" {
			var err error
			if out, err = d.match(out, hashbank.AlgoText, TextHash(p.Norm), "text"); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("known content: %s", strings.Join(errs, "; "))
	}
	return out, nil
}

func (d *Detector) match(out []post.Signal, algo, hash, what string) ([]post.Signal, error) {
	r, err := d.Banks.Match(algo, hash)
	if err != nil {
		return out, fmt.Errorf("%s %s: %w", what, algo, err)
	}
	for _, m := range r.Matches {
		label := post.Propaganda
		if len(m.Entry.Labels) > 0 {
			label = m.Entry.Labels[0]
		}
		tier := post.TierPromotional
		if m.Entry.Entity != "" {
			tier = post.TierOfficial
		}
		score := 1.0
		if algo == hashbank.AlgoPDQ {
			score = 1 - float64(m.Distance)/256
		}
		out = append(out, post.Signal{
			Detector: BankDetector, Label: label, Tier: tier, Entity: m.Entry.Entity, Score: score,
			Explanation: explainMatch(what, algo, m),
			Ref:         fmt.Sprintf("bank:%s/entry:%d", m.Bank.Name, m.Entry.ID),
		})
	}
	for _, m := range r.Suppressed {
		out = append(out, post.Signal{
			Detector: BankDetector, Label: post.Unrelated, Score: 0,
			Explanation: fmt.Sprintf("%s is known benign: %s; %d bank matches suppressed", what, explainMatch(what, algo, m), len(r.Vetoed)),
			Ref:         fmt.Sprintf("bank:%s/entry:%d", m.Bank.Name, m.Entry.ID),
		})
	}
	return out, nil
}

func explainMatch(what, algo string, m hashbank.Match) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s matches entry %d of %s bank %q", what, m.Entry.ID, m.Bank.Kind, m.Bank.Name)
	if algo == hashbank.AlgoPDQ {
		fmt.Fprintf(&b, " at PDQ distance %d (bank allows %d)", m.Distance, m.Bank.Distance)
	} else {
		fmt.Fprintf(&b, " (exact %s)", algo)
	}
	if m.Bank.Source != "" {
		fmt.Fprintf(&b, "; list: %s", m.Bank.Source)
	}
	if pv := m.Entry.Provenance; pv.SharedBy != "" || pv.CaseRef != "" {
		fmt.Fprintf(&b, "; shared by %s", pv.SharedBy)
		if !pv.SharedAt.IsZero() {
			fmt.Fprintf(&b, " on %s", pv.SharedAt.Format("2006-01-02"))
		}
		if pv.CaseRef != "" {
			fmt.Fprintf(&b, " (case %s)", pv.CaseRef)
		}
	}
	if m.Entry.Source != "" {
		fmt.Fprintf(&b, "; seen at %s", m.Entry.Source)
	}
	return b.String()
}
