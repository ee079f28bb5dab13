// Package bankmatch is the hash-bank detector: it matches a post's media
// hashes and the signals of its normalized text, of every type in the
// signaltype registry, against the hash banks, so that known propaganda is
// recognized whoever re-posts it. Recycled text that no bank holds is
// detect/recycled's.
package bankmatch

import (
	"fmt"
	"strings"

	"github.com/raqib-project/raqib/internal/detect"
	"github.com/raqib-project/raqib/internal/effect"
	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
)

// BankDetector is the detector name on the signals, which
// rules.KnownContentRule reads.
const BankDetector = "hashbank"

// Detector matches posts against banks.
type Detector struct {
	Banks *hashbank.Matcher
}

var _ detect.Detector = (*Detector)(nil)

// Name implements detect.Detector.
func (d *Detector) Name() string { return BankDetector }

// Detect implements detect.Detector. It allocates only when something
// matches.
func (d *Detector) Detect(p *post.Post, out []post.Signal, _ *effect.Set) ([]post.Signal, error) {
	var errs []string
	if d.Banks != nil {
		for i := range p.Media {
			m := &p.Media[i]
			for _, h := range m.Hashes {
				var err error
				out, err = d.match(out, h.Type, h.Value, fmt.Sprintf("%s %d", m.Kind, i+1))
				if err != nil {
					errs = append(errs, err.Error())
				}
			}
		}
		for _, t := range signaltype.All() {
			// Computing a signature nothing could match is wasted work.
			if t.FromText == nil || p.Norm == "" || !d.Banks.Has(t.Name) {
				continue
			}
			v, ok := t.FromText(p.Norm)
			if !ok {
				continue
			}
			var err error
			if out, err = d.match(out, t.Name, v, "text"); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("known content: %s", strings.Join(errs, "; "))
	}
	return out, nil
}

func (d *Detector) match(out []post.Signal, typ, value, what string) ([]post.Signal, error) {
	r, err := d.Banks.Match(typ, value)
	if err != nil {
		return out, fmt.Errorf("%s %s: %w", what, typ, err)
	}
	t, err := signaltype.Lookup(typ)
	if err != nil {
		return out, fmt.Errorf("%s: %w", what, err)
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
		out = append(out, post.Signal{
			Detector: BankDetector, Label: label, Tier: tier, Entity: m.Entry.Entity, Score: t.Score(m.Distance),
			Explanation: explainMatch(what, t, m),
			Ref:         fmt.Sprintf("bank:%s/entry:%d", m.Bank.Name, m.Entry.ID),
			Match:       evidence(t, m),
		})
	}
	for _, m := range r.Suppressed {
		out = append(out, post.Signal{
			Detector: BankDetector, Label: post.Unrelated, Score: 0,
			Explanation: fmt.Sprintf("%s is known benign: %s; %d bank matches suppressed", what, explainMatch(what, t, m), len(r.Vetoed)),
			Ref:         fmt.Sprintf("bank:%s/entry:%d", m.Bank.Name, m.Entry.ID),
			Match:       evidence(t, m),
		})
	}
	return out, nil
}

func evidence(t *signaltype.Type, m hashbank.Match) *post.Match {
	return &post.Match{Bank: m.Bank.Name, Entry: m.Entry.ID, Type: t.Name, Distance: m.Distance,
		Threshold: hashbank.Threshold(t, m.Bank)}
}

func explainMatch(what string, t *signaltype.Type, m hashbank.Match) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s matches entry %d of %s bank %q", what, m.Entry.ID, m.Bank.Kind, m.Bank.Name)
	if t.Exact() {
		fmt.Fprintf(&b, " (exact %s)", t.Title)
	} else {
		fmt.Fprintf(&b, " at %s distance %d (bank allows %d)", t.Title, m.Distance, hashbank.Threshold(t, m.Bank))
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
