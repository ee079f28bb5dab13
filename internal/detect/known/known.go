// Package known is the known-content detector: it matches a post's media
// hashes and the signals of its normalized text, of every type in the
// signaltype registry, against the hash banks,
// and its text against near-duplicates of posts already found violating, so
// that recycled propaganda is recognized whoever re-posts it.
package known

import (
	"fmt"
	"strings"

	"github.com/raqib-project/raqib/internal/detect"
	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/neardup"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
)

// Detector names on the signals, which rules.KnownContentRule reads.
const (
	BankDetector    = "hashbank"
	NearDupDetector = "neardup"
)

// MinNearDup is the estimated Jaccard similarity from which a near-duplicate
// of a violating post is reported.
const MinNearDup = 0.7

// Detector matches posts against banks and, when Texts is set, against the
// near-duplicate index of violating texts.
type Detector struct {
	Banks *hashbank.Matcher
	Texts *neardup.Index
	// Label returns the decided label of an indexed post key, so that a
	// near-duplicate inherits what the original was found to be.
	Label func(key string) (post.Label, bool)
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
	if d.Texts != nil && p.Norm != "" && d.Texts.Len() > 0 {
		out = d.nearDups(out, p)
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

func (d *Detector) nearDups(out []post.Signal, p *post.Post) []post.Signal {
	self := p.Key()
	for _, c := range d.Texts.Query(p.Norm) {
		if c.Key == self || c.Similarity < MinNearDup {
			continue
		}
		label := post.Propaganda
		if d.Label != nil {
			l, ok := d.Label(c.Key)
			if !ok || !l.Violating() {
				continue
			}
			label = l
		}
		out = append(out, post.Signal{
			Detector: NearDupDetector, Label: label, Tier: post.TierPromotional, Score: c.Similarity,
			Explanation: fmt.Sprintf("text near-duplicates post %s, found %s before (estimated similarity %.2f)", c.Key, label, c.Similarity),
			Ref:         c.Key,
		})
	}
	return out
}
