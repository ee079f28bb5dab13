package review

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// DecisionsHeader is the header of the decisions data set: what `raqib
// export decisions` writes and the classifier's "decisions" format reads.
var DecisionsHeader = []string{"id", "author", "decision", "label", "reason", "text"}

// The decisions of the data set.
const (
	DecisionConfirmed = "confirmed"
	DecisionDismissed = "dismissed"
)

// decision is a decided case's verdict in the data set; "" for a case
// whose verdict is not a labelled example (merged away).
func decision(st post.CaseStatus) string {
	switch st {
	case post.CaseConfirmed, post.CaseReferred, post.CaseRemoved:
		return DecisionConfirmed
	case post.CaseDismissed:
		return DecisionDismissed
	}
	return ""
}

// casePostsPage is how many post keys of a case are read at a time.
const casePostsPage = 1000

// ExportDecisions writes every post of the cases decided at or after since
// as a labelled example: id (the post key), author (platform/id, so that
// one author's posts stay in one cross-validation fold), decision, label
// (the confirmed label, empty when dismissed), reason (the dismissal
// reason) and text. A post of a case that is gone from the store is
// skipped. It returns how many rows it wrote.
func (s *Service) ExportDecisions(ctx context.Context, since time.Time, w io.Writer) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(DecisionsHeader); err != nil {
		return 0, err
	}
	n := 0
	err := s.st.DecidedCases(ctx, since, func(c post.Case) error {
		d := decision(c.Status)
		if d == "" {
			return nil
		}
		label := ""
		if d == DecisionConfirmed {
			label = string(c.Label)
		}
		for off := 0; ; off += casePostsPage {
			keys, err := s.st.CasePostsPage(ctx, c.ID, off, casePostsPage)
			if err != nil {
				return err
			}
			for _, k := range keys {
				p, _, err := s.st.Post(ctx, k)
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				if err != nil {
					return fmt.Errorf("post %s of case %d: %w", k, c.ID, err)
				}
				text := p.Text
				if p.Title != "" {
					text = p.Title + "\n" + p.Text
				}
				if err := cw.Write([]string{k, string(p.Platform) + "/" + p.Author.ID, d, label, string(c.Dismissal), text}); err != nil {
					return err
				}
				n++
			}
			if len(keys) < casePostsPage {
				return nil
			}
		}
	})
	if err != nil {
		return n, fmt.Errorf("export decisions: %w", err)
	}
	cw.Flush()
	return n, cw.Error()
}

// Precision counts how often the cases a rule or detector flagged were
// confirmed and how often dismissed.
type Precision struct {
	Name      string `json:"name"`
	Confirmed int    `json:"confirmed"`
	Dismissed int    `json:"dismissed"`
}

// Decided is how many of its cases were decided.
func (p Precision) Decided() int { return p.Confirmed + p.Dismissed }

// Value is the share of decided cases that were confirmed, 0 when none
// was decided.
func (p Precision) Value() float64 {
	if p.Decided() == 0 {
		return 0
	}
	return float64(p.Confirmed) / float64(p.Decided())
}

// Report is the precision of every rule and detector from the cases
// decided since a time.
type Report struct {
	Since     time.Time   `json:"since"`
	Cases     int         `json:"cases"`
	Rules     []Precision `json:"rules"`
	Detectors []Precision `json:"detectors"`
}

// Precision reads the cases decided at or after since and counts, for
// every rule and detector that flagged their first post, how many were
// confirmed and how many dismissed; least precise first, so that what
// wastes analysts' time heads the list.
func (s *Service) Precision(ctx context.Context, since time.Time) (Report, error) {
	rules, dets := map[string]*Precision{}, map[string]*Precision{}
	r := Report{Since: since}
	count := func(m map[string]*Precision, names []string, confirmed bool) {
		for _, n := range names {
			p := m[n]
			if p == nil {
				p = &Precision{Name: n}
				m[n] = p
			}
			if confirmed {
				p.Confirmed++
			} else {
				p.Dismissed++
			}
		}
	}
	err := s.st.DecidedCases(ctx, since, func(c post.Case) error {
		d := decision(c.Status)
		if d == "" {
			return nil
		}
		r.Cases++
		count(rules, c.Rules, d == DecisionConfirmed)
		count(dets, c.Detectors, d == DecisionConfirmed)
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("precision: %w", err)
	}
	r.Rules, r.Detectors = sorted(rules), sorted(dets)
	return r, nil
}

func sorted(m map[string]*Precision) []Precision {
	out := make([]Precision, 0, len(m))
	for _, p := range m {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Precision) int {
		return cmp.Or(cmp.Compare(a.Value(), b.Value()), cmp.Compare(b.Decided(), a.Decided()), cmp.Compare(a.Name, b.Name))
	})
	return out
}
